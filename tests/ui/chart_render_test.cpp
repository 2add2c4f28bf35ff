// Every chart kind drawn and exported as PNG, PDF and SVG: valid files of the requested size with one
// plotted series per method. The PNGs stay in build/tests/tmp/chart_samples for a human to look at.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QFile>
#include <QImage>
#include <QXmlStreamReader>
#include <fstream>

#include "chart_test_db.h"
#include "ui/charts/chart_builder.h"
#include "ui/charts/chart_command.h"
#include "ui/charts/chart_export.h"

namespace dbsa::ui {
namespace {

constexpr size_t kMethodCount = 3;  // dbsa, full-icl, zero-shot (retrieval-icl never finished)

class ChartRenderTest : public ::testing::TestWithParam<ChartKind> {
 protected:
  static void SetUpTestSuite() {
    test::need_application();
    db_ = new std::filesystem::path(test::write_chart_test_db("chart_samples"));
  }
  static void TearDownTestSuite() { delete db_; }
  static std::filesystem::path* db_;
};
std::filesystem::path* ChartRenderTest::db_ = nullptr;

std::string read_all(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_P(ChartRenderTest, PlotHasOneSeriesPerMethodAndLabelledAxes) {
  ResultsDb db(*db_, OpenMode::ReadOnly);
  ChartData data = build_chart_data(db, GetParam(), "trec");
  QCustomPlot plot;
  EXPECT_EQ(build_chart(plot, data), static_cast<int>(kMethodCount));
  size_t series = 0, whiskers = 0;
  for (int i = 0; i < plot.plottableCount(); ++i) {
    QCPAbstractPlottable* p = plot.plottable(i);
    if (qobject_cast<QCPGraph*>(p) || qobject_cast<QCPBars*>(p)) {
      ++series;
      EXPECT_FALSE(p->interface1D()->dataCount() == 0) << p->name().toStdString() << " has no points";
    }
    if (qobject_cast<QCPErrorBars*>(p)) ++whiskers;
  }
  EXPECT_EQ(series, kMethodCount);
  EXPECT_EQ(whiskers, data.style == ChartStyle::Bars ? kMethodCount : 0u);
  EXPECT_EQ(static_cast<size_t>(plot.legend->itemCount()), kMethodCount);  // whiskers stay out of it
  EXPECT_FALSE(plot.xAxis->label().isEmpty());
  EXPECT_TRUE(plot.yAxis->label().contains('('));  // a unit
  EXPECT_EQ(plot.xAxis->scaleType() == QCPAxis::stLogarithmic, data.log_x);
  EXPECT_EQ(plot.yAxis->scaleType() == QCPAxis::stLogarithmic, data.log_y);
  // Every plotted point lies inside the visible ranges.
  for (const auto& s : data.series)
    for (size_t k = 0; k < s.x.size(); ++k) {
      EXPECT_TRUE(plot.xAxis->range().contains(s.x[k])) << s.name << " x=" << s.x[k];
      EXPECT_TRUE(plot.yAxis->range().contains(s.y[k]) || s.y[k] == plot.yAxis->range().lower)
          << s.name << " y=" << s.y[k];
    }
}

TEST_P(ChartRenderTest, ExportsPngPdfSvgAtTheRequestedSize) {
  const std::string kind = chart_kind_name(GetParam());
  auto dir = db_->parent_path();
  ChartRequest r;
  r.db = *db_;
  r.kind = GetParam();
  r.dataset = "trec";
  r.width = 900;
  r.height = 560;

  r.out = dir / (kind + ".png");
  EXPECT_EQ(render_chart(r), static_cast<int>(kMethodCount));
  QImage img;
  ASSERT_TRUE(img.load(QString::fromStdString(r.out.string()), "PNG"));
  EXPECT_EQ(img.width(), 900);
  EXPECT_EQ(img.height(), 560);
  // Not blank: a white background with something drawn on it.
  QColor corner = img.pixelColor(0, 0);
  EXPECT_EQ(corner, QColor(Qt::white));
  int inked = 0;
  for (int y = 0; y < img.height(); y += 4)
    for (int x = 0; x < img.width(); x += 4) inked += img.pixelColor(x, y) != corner ? 1 : 0;
  EXPECT_GT(inked, 500);

  r.out = dir / (kind + ".pdf");
  render_chart(r);
  EXPECT_EQ(read_all(r.out).substr(0, 5), "%PDF-");

  r.out = dir / (kind + ".svg");
  render_chart(r);
  QFile svg(QString::fromStdString(r.out.string()));
  ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
  QXmlStreamReader xml(&svg);
  ASSERT_TRUE(xml.readNextStartElement()) << xml.errorString().toStdString();
  EXPECT_EQ(xml.name().toString(), "svg");
  EXPECT_EQ(xml.attributes().value("viewBox").toString(), "0 0 900 560");
  while (!xml.atEnd()) xml.readNext();
  EXPECT_FALSE(xml.hasError()) << xml.errorString().toStdString();
}

INSTANTIATE_TEST_SUITE_P(AllKinds, ChartRenderTest,
                         ::testing::Values(ChartKind::Accuracy, ChartKind::LatencyTotal,
                                           ChartKind::LatencyQuery, ChartKind::Storage,
                                           ChartKind::AccuracyVsContext),
                         [](const auto& p) {
                           std::string n = chart_kind_name(p.param);
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(ChartRenderSizeTest, PngFollowsTheRequestedSize) {
  test::need_application();
  auto db = test::write_chart_test_db("chart_sizes");
  for (auto [w, h] : {std::pair{640, 400}, std::pair{1600, 1000}}) {
    ChartRequest r{db, ChartKind::Accuracy, db.parent_path() / "a.png", w, h, std::nullopt, {}};
    render_chart(r);
    QImage img(QString::fromStdString(r.out.string()));
    EXPECT_EQ(img.size(), QSize(w, h));
  }
}

// Every paper method plus one of the user's, two datasets, at a small size: the crowded case, looked at
// by eye in chart_crowded/ (legend wraps, labels stay apart).
TEST(ChartRenderCrowdedTest, SevenMethodsTwoDatasetsAtSmallSize) {
  test::need_application();
  auto dir = test::scratch_dir("chart_crowded");
  {
    ResultsDb db(dir / "results.sqlite", OpenMode::Create);
    const std::vector<std::string> methods{"my-method",  "finetuned", "zero-shot", "retrieval-icl",
                                           "cached-icl", "full-icl",  "dbsa"};
    for (const std::string dataset : {"banking77", "trec"})
      for (size_t m = 0; m < methods.size(); ++m) {
        double q = 0.01 * static_cast<double>(m + 1);
        test::write_run(db, {dataset,
                             methods[m],
                             4,
                             10,
                             2,
                             1,
                             0.5 * static_cast<double>(m),
                             int64_t(m) << 20,
                             int64_t(100 * (m + 1)),
                             {m % 2 == 0, true, m % 3 == 0, true},
                             {q, q, 2 * q, 3 * q}});
      }
  }
  for (ChartKind k : {ChartKind::Accuracy, ChartKind::LatencyQuery, ChartKind::Storage}) {
    ChartRequest r{
        dir / "results.sqlite", k, dir / (std::string(chart_kind_name(k)) + ".png"), 640, 400, "trec", {}};
    if (k == ChartKind::Accuracy) r.dataset.reset();
    EXPECT_EQ(render_chart(r), 7);
    EXPECT_EQ(QImage(QString::fromStdString(r.out.string())).size(), QSize(640, 400));
  }
  // Series come in paper order whatever order the runs were written in.
  ResultsDb db(dir / "results.sqlite", OpenMode::ReadOnly);
  ChartData d = build_chart_data(db, ChartKind::LatencyTotal, "trec");
  EXPECT_EQ(d.series.front().name, "dbsa");
  EXPECT_EQ(d.series.back().name, "my-method");
}

}  // namespace
}  // namespace dbsa::ui
