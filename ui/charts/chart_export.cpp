#include "ui/charts/chart_export.h"

#include <qcustomplot.h>

#include <QBuffer>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <algorithm>
#include <cctype>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>

#include "util/atomic_file.h"

namespace dbsa::ui {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Vector output: no pixmap caching, and lines keep their width when the page is zoomed.
bool paint_vector(QCustomPlot& plot, QPaintDevice& device, int width, int height) {
  QCPPainter painter;
  if (!painter.begin(&device)) return false;
  painter.setMode(QCPPainter::pmVectorized);
  painter.setMode(QCPPainter::pmNoCaching);
  painter.setMode(QCPPainter::pmNonCosmetic);
  plot.toPainter(&painter, width, height);
  return painter.end();
}

// The chart's bytes, rendered in memory so the file itself is written once, atomically, by
// util/atomic_file.h. Empty when Qt could not render.
QByteArray render(QCustomPlot& plot, ImageFormat format, int width, int height) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  bool ok = false;
  switch (format) {
    case ImageFormat::Png:
      ok = plot.toPixmap(width, height, 1.0).save(&buffer, "PNG");
      break;
    case ImageFormat::Pdf: {
      QPdfWriter pdf(&buffer);
      pdf.setCreator("DBSA Studio");
      pdf.setResolution(72);  // one point per chart pixel: the page is width × height points
      pdf.setPageSize(QPageSize(QSizeF(width, height), QPageSize::Point, QString(), QPageSize::ExactMatch));
      pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
      ok = paint_vector(plot, pdf, width, height);
      break;
    }
    case ImageFormat::Svg: {
      // QCustomPlot has no saveSvg: paint through a QCPPainter onto an SVG generator.
      QSvgGenerator svg;
      svg.setOutputDevice(&buffer);
      svg.setSize(QSize(width, height));
      svg.setViewBox(QRect(0, 0, width, height));
      svg.setTitle("DBSA Studio chart");
      ok = paint_vector(plot, svg, width, height);
      break;
    }
  }
  buffer.close();
  return ok ? bytes : QByteArray();
}

}  // namespace

ImageFormat image_format_for(const std::filesystem::path& file) {
  std::string ext = lower(file.extension().string());
  if (ext == ".png") return ImageFormat::Png;
  if (ext == ".pdf") return ImageFormat::Pdf;
  if (ext == ".svg") return ImageFormat::Svg;
  throw std::invalid_argument(file.string() + ": unknown chart format '" + file.extension().string() +
                              "' (expected .png, .pdf or .svg)");
}

void check_export(const std::filesystem::path& file, int width, int height) {
  image_format_for(file);
  if (width < kMinChartSide || width > kMaxChartSide || height < kMinChartSide || height > kMaxChartSide)
    throw std::invalid_argument(file.string() + ": chart size " + std::to_string(width) + "x" +
                                std::to_string(height) + " outside " + std::to_string(kMinChartSide) + ".." +
                                std::to_string(kMaxChartSide) + " pixels per side");
  std::filesystem::path folder = file.parent_path().empty() ? "." : file.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw std::runtime_error(file.string() + ": cannot write the chart: folder '" + folder.string() +
                             "' does not exist");
}

void export_chart(QCustomPlot& plot, const std::filesystem::path& file, int width, int height) {
  check_export(file, width, height);
  ImageFormat format = image_format_for(file);

  // The layout is computed at the plot's size: lay it out at the export's, render, and give an
  // on-screen plot its own size back (the window's chart shrank to the export size until resized).
  const QSize on_screen = plot.size();
  plot.resize(width, height);
  plot.replot(QCustomPlot::rpImmediateRefresh);
  QByteArray bytes = render(plot, format, width, height);
  plot.resize(on_screen);
  plot.replot();
  if (bytes.isEmpty()) throw std::runtime_error(file.string() + ": rendering the chart failed");
  try {
    write_file_atomic(file, std::as_bytes(std::span(bytes.constData(), static_cast<size_t>(bytes.size()))));
  } catch (const FileError& e) {
    throw std::runtime_error(file.string() + ": cannot write the chart (" + e.what() + ")");
  }
}

}  // namespace dbsa::ui
