#pragma once
// Saves a drawn QCustomPlot as PNG, PDF or SVG at a chosen size. The chart is rendered in memory and
// written with util/atomic_file.h (temporary beside the file, then rename), so a reader never sees
// half a chart and a failed export leaves nothing behind.
#include <filesystem>

class QCustomPlot;

namespace dbsa::ui {

enum class ImageFormat { Png, Pdf, Svg };

// From the extension (case-insensitive). Throws std::invalid_argument naming the file otherwise.
ImageFormat image_format_for(const std::filesystem::path& file);

inline constexpr int kMinChartSide = 64;
inline constexpr int kMaxChartSide = 10000;

// The checks export_chart makes before drawing anything, for callers that want to fail fast: throws
// std::invalid_argument for an unknown extension or a size outside [kMinChartSide, kMaxChartSide],
// std::runtime_error when the destination folder does not exist. Messages name the file.
void check_export(const std::filesystem::path& file, int width, int height);

// check_export, then renders and writes; std::runtime_error naming the file when it cannot be written.
void export_chart(QCustomPlot& plot, const std::filesystem::path& file, int width, int height);

}  // namespace dbsa::ui
