#include "ui/shell/theme.h"

#include <QApplication>
#include <QImage>
#include <QPalette>
#include <QPixmap>
#include <QStyle>
#include <QStyleFactory>

namespace dbsa::ui {

void apply_theme(bool dark) {
  QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
  if (!dark) {
    QApplication::setPalette(QApplication::style()->standardPalette());
    return;
  }
  QPalette p;
  const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xe6, 0xe6, 0xe6),
      disabled(0x80, 0x80, 0x80), accent(0x3d, 0x8e, 0xf0);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::ToolTipBase, base);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, window);
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::BrightText, Qt::red);
  p.setColor(QPalette::Link, accent);
  p.setColor(QPalette::Highlight, accent);
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::PlaceholderText, disabled);
  for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
    p.setColor(QPalette::Disabled, role, disabled);
  QApplication::setPalette(p);
}

QIcon palette_icon(const QStyle& style, QStyle::StandardPixmap which, const QPalette& palette) {
  const QIcon icon = style.standardIcon(which);
  if (palette.color(QPalette::Base).lightness() >= 128) return icon;
  QIcon out;
  for (const int side : {16, 22, 32, 44}) {
    QImage img = icon.pixmap(side, side).toImage().convertToFormat(QImage::Format_ARGB32);
    for (int y = 0; y < img.height(); ++y)
      for (int x = 0; x < img.width(); ++x) {
        const QColor c = img.pixelColor(x, y);
        if (c.alpha() == 0) continue;
        img.setPixelColor(x, y,
                          QColor::fromHsl(c.hslHue(), c.hslSaturation(), 128 + c.lightness() / 2, c.alpha()));
      }
    out.addPixmap(QPixmap::fromImage(img));
  }
  return out;
}

}  // namespace dbsa::ui
