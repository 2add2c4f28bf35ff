#pragma once
// Light and dark palettes on the Fusion style (the same look on every desktop, and under the offscreen
// platform used for screenshots).
namespace dbsa::ui {

void apply_theme(bool dark);

}  // namespace dbsa::ui
