#pragma once
// Light and dark palettes on the Fusion style (the same look on every desktop, and under the offscreen
// platform used for screenshots).
#include <QIcon>
#include <QPalette>
#include <QStyle>

namespace dbsa::ui {

void apply_theme(bool dark);

// A style's standard icon readable on `palette`'s base colour: as drawn on a light palette; on a dark one
// with every pixel's lightness moved into the upper half (order, hue and alpha kept), since Fusion's
// icons are drawn for light backgrounds: its grey drive icon all but vanished on the dark one.
QIcon palette_icon(const QStyle& style, QStyle::StandardPixmap which, const QPalette& palette);

}  // namespace dbsa::ui
