#include "ui/charts/chart_builder.h"

#include <qcustomplot.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace dbsa::ui {
namespace {

QVector<double> to_qvector(const std::vector<double>& v) {
  return QVector<double>(v.begin(), v.end());
}

QString qs(const std::string& s) {
  return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

void add_title(QCustomPlot& plot, const ChartData& data) {
  plot.plotLayout()->insertRow(0);
  auto* title = new QCPTextElement(&plot, qs(data.title), QFont("DejaVu Sans", 13, QFont::Bold));
  plot.plotLayout()->addElement(0, 0, title);
  if (!data.note.empty()) {
    plot.plotLayout()->insertRow(1);
    auto* note = new QCPTextElement(&plot, qs(data.note), QFont("DejaVu Sans", 9));
    note->setTextColor(QColor(90, 90, 90));
    plot.plotLayout()->addElement(1, 0, note);
  }
}

// Below the axis rect, several entries per row, centred between two empty stretching cells: a legend
// inside the plot would hide bars or curves, and a full-width one spreads its entries apart.
void add_legend(QCustomPlot& plot, int series) {
  plot.legend->setVisible(true);
  plot.legend->setFont(QFont("DejaVu Sans", 9));
  plot.legend->setBorderPen(Qt::NoPen);
  // One row up to five methods, else two rows. The wrap must be set before the fill order: only
  // setFillOrder rearranges the entries already in the legend.
  plot.legend->setWrap(series <= 5 ? series : (series + 1) / 2);
  plot.legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
  plot.legend->setColumnSpacing(18);
  auto* row = new QCPLayoutGrid;
  int at = plot.plotLayout()->rowCount();
  plot.plotLayout()->addElement(at, 0, row);
  plot.plotLayout()->setRowStretchFactor(at, 0.001);
  row->addElement(0, 0, new QCPLayoutElement(&plot));
  row->addElement(0, 1, plot.legend);  // takes it out of the axis rect's inset layout
  row->addElement(0, 2, new QCPLayoutElement(&plot));
  row->setColumnStretchFactors({1, 0.001, 1});
  plot.legend->setMargins(QMargins(4, 2, 4, 4));
}

void set_log(QCPAxis* axis) {
  axis->setScaleType(QCPAxis::stLogarithmic);
  QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
  ticker->setSubTickCount(8);
  axis->setTicker(ticker);
  axis->setNumberFormat("eb");  // 10^k, written as a power
  axis->setNumberPrecision(0);
}

struct Extent {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// Padding a range so markers at the ends stay inside; a single value gets a range around it.
QCPRange padded(Extent e, bool log, bool from_zero) {
  if (e.empty()) return log ? QCPRange(1, 10) : QCPRange(0, 1);
  if (log) {
    double lo = e.lo, hi = e.hi;
    if (hi / lo < 10) {
      double mid = std::sqrt(lo * hi);
      lo = std::min(lo, mid / 3.2);
      hi = std::max(hi, mid * 3.2);
    }
    return QCPRange(lo / 1.5, hi * 1.5);
  }
  double lo = from_zero ? std::min(0.0, e.lo) : e.lo, hi = e.hi;
  if (hi - lo <= 0) {
    double w = std::max(std::abs(hi) * 0.5, 1.0);
    return QCPRange(from_zero ? lo : lo - w, hi + w);
  }
  double pad = (hi - lo) * 0.08;
  return QCPRange(from_zero && lo >= 0 ? lo : lo - pad, hi + pad);
}

// A shape per method as well as a colour: methods with equal values (e.g. several keeping no KV bytes)
// land on the same point, and differently shaped markers stay visible on top of each other.
QCPScatterStyle method_marker(const std::string& method, const QColor& c) {
  static constexpr std::array<QCPScatterStyle::ScatterShape, 7> kShapes{
      QCPScatterStyle::ssDisc,    QCPScatterStyle::ssSquare, QCPScatterStyle::ssTriangle,
      QCPScatterStyle::ssDiamond, QCPScatterStyle::ssCross,  QCPScatterStyle::ssPlus,
      QCPScatterStyle::ssStar};
  auto shape = kShapes[static_cast<size_t>(std::min(method_rank(method), 6))];
  bool filled = shape == QCPScatterStyle::ssDisc;
  return QCPScatterStyle(shape, QPen(c, 2), filled ? QBrush(c) : QBrush(Qt::NoBrush), filled ? 8 : 11);
}

int draw_lines(QCustomPlot& plot, const ChartData& data) {
  Extent ex, ey;
  int drawn = 0;
  for (size_t i = 0; i < data.series.size(); ++i) {
    const ChartSeries& s = data.series[i];
    QCPGraph* g = plot.addGraph();
    g->setName(qs(s.name));
    QColor c = series_color(s, static_cast<int>(i));
    // A second model's line of the same method dashed, as well as lighter.
    g->setPen(QPen(c, 2.2, s.model_index > 0 ? Qt::DashLine : Qt::SolidLine));
    // Markers where the points are measurements; a computed curve (51 points) stays a plain line.
    if (s.x.size() <= 12) g->setScatterStyle(method_marker(s.method.empty() ? s.name : s.method, c));
    g->setData(to_qvector(s.x), to_qvector(s.y), true);
    for (double x : s.x) ex.add(x);
    for (double y : s.y) ey.add(y);
    ++drawn;
  }
  if (data.log_x) set_log(plot.xAxis);
  if (data.log_y) set_log(plot.yAxis);
  bool percent = data.kind == ChartKind::AccuracyVsContext;
  plot.xAxis->setRange(padded(ex, data.log_x, false));
  if (percent) {
    plot.yAxis->setRange(0, std::max(105.0, ey.hi + 5));
  } else {
    QCPRange r = padded(ey, data.log_y, data.kind == ChartKind::Storage);
    // Points at 0 (methods that keep no KV bytes) would sit on the axis line, half hidden.
    if (!data.log_y && r.lower == 0) r.lower = -0.04 * r.upper;
    plot.yAxis->setRange(r);
  }
  return drawn;
}

int draw_bars(QCustomPlot& plot, const ChartData& data) {
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  for (size_t i = 0; i < data.categories.size(); ++i)
    ticker->addTick(static_cast<double>(i), qs(data.categories[i]));
  plot.xAxis->setTicker(ticker);
  plot.xAxis->setSubTicks(false);
  plot.xAxis->setTickLength(0, 4);
  plot.xAxis->grid()->setVisible(false);  // its zero line would cut through the first category
  plot.xAxis->setRange(-0.6, static_cast<double>(data.categories.size()) - 0.4);

  // Several methods per category sit side by side, offset by hand (not a QCPBarsGroup) so the value
  // labels know where their bar is; one method per category (latency) is centred on its tick.
  bool grouped = std::any_of(data.series.begin(), data.series.end(),
                             [](const ChartSeries& s) { return s.x.size() > 1; }) ||
                 data.categories.size() < data.series.size();
  const double n = static_cast<double>(std::max<size_t>(data.series.size(), 1));
  const double slot = grouped ? 0.84 / n : 0;
  const double width = grouped ? slot * 0.92 : 0.6;
  Extent ey;
  int drawn = 0;
  for (size_t i = 0; i < data.series.size(); ++i) {
    const ChartSeries& s = data.series[i];
    const double offset = (static_cast<double>(i) - (n - 1) / 2) * slot;
    std::vector<double> keys = s.x;
    for (double& k : keys) k += offset;
    auto* bars = new QCPBars(plot.xAxis, plot.yAxis);
    bars->setName(qs(s.name));
    QColor c = series_color(s, static_cast<int>(i));
    bars->setPen(QPen(c.darker(130), 1));
    bars->setBrush(c);
    bars->setWidth(width);
    bars->setData(to_qvector(keys), to_qvector(s.y), true);
    std::vector<double> tops(s.y);
    for (size_t k = 0; k < tops.size(); ++k) tops[k] += k < s.err_plus.size() ? s.err_plus[k] : 0.0;
    for (double t : tops) ey.add(t);
    if (!s.err_plus.empty()) {
      auto* whiskers = new QCPErrorBars(plot.xAxis, plot.yAxis);
      whiskers->removeFromLegend();
      whiskers->setDataPlottable(bars);
      whiskers->setData(to_qvector(s.err_minus), to_qvector(s.err_plus));
      whiskers->setPen(QPen(QColor(40, 40, 40), 1.2));
      whiskers->setSymbolGap(0);
      whiskers->setWhiskerWidth(8);
    }
    for (size_t k = 0; k < s.labels.size() && k < keys.size(); ++k) {
      auto* label = new QCPItemText(&plot);
      label->setText(qs(s.labels[k]));
      label->setFont(QFont("DejaVu Sans", 8));
      label->setColor(QColor(50, 50, 50));
      label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
      label->position->setCoords(keys[k], tops[k]);
      label->setPadding(QMargins(0, 0, 0, 3));
    }
    ++drawn;
  }
  // Headroom for the value labels above the tallest whisker.
  double top = ey.empty() ? 1 : ey.hi;
  if (data.kind == ChartKind::Accuracy)
    plot.yAxis->setRange(0, std::max(110.0, top * 1.1));
  else
    plot.yAxis->setRange(0, top > 0 ? top * 1.2 : 1);
  return drawn;
}

}  // namespace

QColor series_color(const ChartSeries& s, int index_in_chart) {
  // The method's colour; a second (third…) model's series of the same method in lighter shades.
  const QColor c = method_color(s.method.empty() ? s.name : s.method, index_in_chart);
  return s.model_index > 0 ? c.lighter(100 + 35 * s.model_index) : c;
}

QColor method_color(const std::string& method, int index_in_chart) {
  // Colour-blind-safe Tableau 10; paper methods keep their slot whatever else is in the chart.
  static constexpr std::array<QRgb, 10> kPalette{0x4e79a7, 0xe15759, 0xf28e2b, 0x59a14f, 0x76b7b2,
                                                 0xb07aa1, 0xedc948, 0xff9da7, 0x9c755f, 0xbab0ac};
  int rank = method_rank(method);
  int slot = rank < 6 ? rank : 6 + index_in_chart % 4;
  return QColor::fromRgb(kPalette[static_cast<size_t>(slot)]);
}

void follow_palette(QCustomPlot& plot, const QPalette& palette) {
  const QColor base = palette.color(QPalette::Base), text = palette.color(QPalette::Text);
  QColor grid = text;
  grid.setAlpha(70);
  plot.setBackground(base);
  for (QCPAxisRect* rect : plot.axisRects())
    for (QCPAxis* a : rect->axes()) {
      a->setBasePen(QPen(text));
      a->setTickPen(QPen(text));
      a->setSubTickPen(QPen(text));
      a->setTickLabelColor(text);
      a->setLabelColor(text);
      a->grid()->setPen(QPen(grid, 0, Qt::DotLine));
    }
  for (QCPLayoutElement* e : plot.plotLayout()->elements(true))
    if (auto* t = qobject_cast<QCPTextElement*>(e)) t->setTextColor(text);
  plot.legend->setTextColor(text);
  plot.legend->setBrush(base);
  for (int i = 0; i < plot.itemCount(); ++i)
    if (auto* t = qobject_cast<QCPItemText*>(plot.item(i))) t->setColor(text);
  for (int i = 0; i < plot.plottableCount(); ++i)
    if (auto* w = qobject_cast<QCPErrorBars*>(plot.plottable(i))) w->setPen(QPen(text, 1.2));
}

int build_chart(QCustomPlot& plot, const ChartData& data) {
  plot.clearPlottables();
  plot.clearItems();
  plot.setAntialiasedElements(QCP::aeAll);
  plot.setBackground(Qt::white);
  QFont label_font("DejaVu Sans", 10);
  QFont tick_font("DejaVu Sans", 9);
  for (QCPAxis* a : {plot.xAxis, plot.yAxis}) {
    a->setLabelFont(label_font);
    a->setTickLabelFont(tick_font);
    a->grid()->setSubGridVisible(false);
  }
  plot.xAxis->setLabel(qs(data.x_label));
  plot.yAxis->setLabel(qs(data.y_label));
  int drawn = data.style == ChartStyle::Bars ? draw_bars(plot, data) : draw_lines(plot, data);
  add_title(plot, data);
  add_legend(plot, std::max(drawn, 1));
  return drawn;
}

}  // namespace dbsa::ui
