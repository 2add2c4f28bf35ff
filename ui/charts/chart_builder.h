#pragma once
// Draws a ChartData into a QCustomPlot: a title, axes with units (log where the data asks for it), one
// QCPGraph (lines) or QCPBars (bars, with QCPErrorBars whiskers) per method and a legend below the
// plot. qcustomplot.h stays out of this header: it costs tens of seconds per including file.
#include <QColor>
#include <QPalette>

#include "store/chart_data.h"

class QCustomPlot;

namespace dbsa::ui {

// Draws `data` on a freshly constructed `plot` (title and legend rows are added to its layout). Returns the
// number of method series drawn (graphs or bar sets; whiskers are not counted).
int build_chart(QCustomPlot& plot, const ChartData& data);

// An on-screen plot in the window's palette (the dark palette left plots white): background, axes, ticks,
// labels, grid, text elements, legend, value labels and whiskers; series colours stay. Exports never
// pass through it: they are drawn by build_chart alone, on white.
void follow_palette(QCustomPlot& plot, const QPalette& palette);

// The colour of a method, the same in every chart (paper methods have fixed colours).
QColor method_color(const std::string& method, int index_in_chart);
// A series' colour: its method's, lighter for the second and later models when several are drawn.
QColor series_color(const ChartSeries& s, int index_in_chart);

}  // namespace dbsa::ui
