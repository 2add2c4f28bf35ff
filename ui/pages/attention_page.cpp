#include "ui/pages/attention_page.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTextBrowser>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "cache/block_cache.h"
#include "method/attention_mass.h"
#include "method/cache_session.h"
#include "ui/charts/chart_builder.h"
#include "ui/models/block_table_model.h"
#include "ui/pages/page_widgets.h"
#include "ui/shell/studio_state.h"

namespace dbsa::ui {
namespace {

const QColor kNone(0x9e, 0x9e, 0x9e, 60), kPrev(0xf0, 0xad, 0x4e), kSink(0xd9, 0x53, 0x4f),
    kSelf(0x02, 0x75, 0xd8);

QCustomPlot* make_plot(QWidget* parent) {
  auto* p = new QCustomPlot(parent);
  p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  p->axisRect()->setupFullAxesBox(true);
  p->yAxis->setRangeReversed(true);  // row 0 at the top, as in a matrix
  p->setMinimumSize(200, 200);
  // Rows and columns are tokens or blocks: whole numbers only, however far the user zooms.
  for (QCPAxis* a : {p->xAxis, p->yAxis}) {
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    a->setTicker(ticker);
  }
  return p;
}

QCPColorMap* reset_map(QCustomPlot* plot, int nx, int ny) {
  plot->clearPlottables();
  plot->clearItems();
  auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
  map->data()->setSize(nx, ny);
  map->data()->setRange(QCPRange(0, nx - 1), QCPRange(0, ny - 1));
  map->setInterpolate(false);
  return map;
}

QString swatch(const QColor& c, const QString& name) {
  return QStringLiteral("<span style='background:%1'>&nbsp;&nbsp;&nbsp;&nbsp;</span> %2&nbsp;&nbsp;")
      .arg(c.name(), name);
}

}  // namespace

AttentionPage::AttentionPage(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  layer_ = new QSpinBox(this);
  layer_->setPrefix(tr("layer "));
  head_ = new QSpinBox(this);
  head_->setPrefix(tr("head "));
  auto* capture = new QPushButton(tr("Capture for the last query"), this);
  auto* reset = new QPushButton(tr("Reset zoom"), this);
  reset->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
  capture->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
  auto* legend = new QLabel(swatch(kSink, tr("sink")) + swatch(kPrev, tr("previous")) +
                                swatch(kSelf, tr("self")) + swatch(kNone, tr("not attended")),
                            this);
  top->addWidget(layer_);
  top->addWidget(head_);
  top->addWidget(capture);
  top->addWidget(reset);
  top->addStretch(1);
  top->addWidget(legend);
  layout->addLayout(top);
  caption_ = new QLabel(tr("Build or choose a cache and run a query to see its attention."), this);
  caption_->setWordWrap(true);
  layout->addWidget(caption_);
  mass_ = new QLabel(this);
  mass_->setWordWrap(true);
  layout->addWidget(mass_);
  auto* split = new QSplitter(Qt::Horizontal, this);
  layout_plot_ = make_plot(split);
  layout_plot_->xAxis->setLabel(tr("attended block"));
  layout_plot_->yAxis->setLabel(tr("block"));
  map_plot_ = make_plot(split);
  map_plot_->xAxis->setLabel(tr("context token (selected blocks, then the query)"));
  map_plot_->yAxis->setLabel(tr("query token"));
  for (QCustomPlot* plot : {layout_plot_, map_plot_}) follow_palette(*plot, palette());
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  auto* vertical = new QSplitter(Qt::Vertical, this);
  vertical->addWidget(split);
  detail_ = new QTextBrowser(vertical);
  detail_->setMinimumHeight(60);
  detail_->setPlaceholderText(
      tr("Click a block's row in the block layout, or its columns in the attention "
         "map, to see its demonstrations."));
  vertical->addWidget(detail_);
  vertical->setStretchFactor(0, 4);
  vertical->setStretchFactor(1, 1);
  layout->addWidget(vertical, 1);

  connect(capture, &QPushButton::clicked, this, [this] { set_head(layer_->value(), head_->value()); });
  start_controls(state_.job(), {capture});
  connect(reset, &QPushButton::clicked, this, &AttentionPage::reset_zoom);
  // A new layer or head is a new capture: the map follows the spin boxes at once (show_map sets them
  // without this signal).
  for (QSpinBox* box : {layer_, head_})
    connect(box, &QSpinBox::valueChanged, this, [this] {
      if (state_.query()) set_head(layer_->value(), head_->value());
    });
  for (QCustomPlot* plot : {layout_plot_, map_plot_})
    connect(plot, &QCustomPlot::afterReplot, this, [this, plot] { stale_.erase(plot); });
  connect(&state_, &StudioState::cache_changed, this, &AttentionPage::show_layout);
  connect(&state_, &StudioState::query_changed, this, &AttentionPage::show_map);
  // A click picks the block whose detail the pane shows: a row of the layout matrix, or any column of
  // the map that belongs to a selected block.
  connect(layout_plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
    const int row = static_cast<int>(std::lround(layout_plot_->yAxis->pixelToCoord(e->position().y())));
    if (row >= 0 && row < layout_n_) show_block(row);
  });
  connect(map_plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
    const int col = static_cast<int>(std::lround(map_plot_->xAxis->pixelToCoord(e->position().x())));
    if (col >= 0 && col < static_cast<int>(token_block_.size()) &&
        token_block_[static_cast<size_t>(col)] >= 0)
      show_block(token_block_[static_cast<size_t>(col)]);
  });
  connect(map_plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
    const int col = static_cast<int>(std::lround(map_plot_->xAxis->pixelToCoord(e->position().x())));
    const int row = static_cast<int>(std::lround(map_plot_->yAxis->pixelToCoord(e->position().y())));
    const QString text = hover_text(row, col);
    if (text.isEmpty())
      QToolTip::hideText();
    else
      QToolTip::showText(e->globalPosition().toPoint(), text, map_plot_);
  });
}

void AttentionPage::set_head(int layer, int head) {
  state_.set_capture_head(layer, head);
  Q_EMIT recapture_requested();
}

// A plot whose data changed is drawn now when the page is on screen, else when it is shown next: a
// hidden QCustomPlot keeps painting its old buffer when shown again unless it is replotted.
void AttentionPage::refresh(QCustomPlot* plot) {
  stale_.insert(plot);
  if (isVisible()) plot->replot();
}

void AttentionPage::changeEvent(QEvent* e) {
  QWidget::changeEvent(e);
  if (e->type() != QEvent::PaletteChange) return;
  for (QCustomPlot* plot : {layout_plot_, map_plot_}) {
    follow_palette(*plot, palette());
    refresh(plot);
  }
  if (scale_) {
    scale_->axis()->setTickLabelColor(palette().color(QPalette::Text));
    scale_->axis()->setLabelColor(palette().color(QPalette::Text));
  }
}

QColor AttentionPage::plot_background() const {
  // QCustomPlot keeps its background brush private: read a corner of a small render.
  return map_plot_->toPixmap(32, 32).toImage().pixelColor(0, 0);
}

void AttentionPage::showEvent(QShowEvent* e) {
  QWidget::showEvent(e);
  for (QCustomPlot* plot : std::set<QCustomPlot*>(stale_)) plot->replot();
}

QSize AttentionPage::plotted_map() const {
  for (int i = 0; i < map_plot_->plottableCount(); ++i)
    if (auto* m = qobject_cast<QCPColorMap*>(map_plot_->plottable(i)))
      return {m->data()->keySize(), m->data()->valueSize()};
  return {};
}

int AttentionPage::plotted_layout() const {
  for (int i = 0; i < layout_plot_->plottableCount(); ++i)
    if (auto* m = qobject_cast<QCPColorMap*>(layout_plot_->plottable(i))) return m->data()->keySize();
  return 0;
}

bool AttentionPage::plots_current() const {
  return stale_.empty();
}

BlockLink AttentionPage::layout_cell(int row, int col) const {
  return layout_[static_cast<size_t>(row * layout_n_ + col)];
}

void AttentionPage::show_layout() {
  layout_.clear();
  layout_n_ = 0;
  if (const CacheSummary* cache = state_.cache(); cache && cache->error.empty()) {
    const BlockLayout& pattern = cache->meta.key.pattern;
    layout_n_ = cache->n_blocks;
    for (int b = 0; b < layout_n_; ++b)
      for (int c = 0; c < layout_n_; ++c) layout_.push_back(pattern.link(b, c));
  }
  show_block(-1);  // another cache: the shown block's detail is gone with it
  if (layout_n_ == 0) {
    layout_plot_->clearPlottables();
    refresh(layout_plot_);
    return;
  }
  QCPColorMap* map = reset_map(layout_plot_, layout_n_, layout_n_);
  for (int b = 0; b < layout_n_; ++b)
    for (int c = 0; c < layout_n_; ++c) map->data()->setCell(c, b, static_cast<double>(layout_cell(b, c)));
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0.0, kNone);
  g.setColorStopAt(1.0 / 3.0, kPrev);
  g.setColorStopAt(2.0 / 3.0, kSink);
  g.setColorStopAt(1.0, kSelf);
  g.setLevelCount(4);
  map->setGradient(g);
  map->setDataRange(QCPRange(0, 3));
  layout_plot_->xAxis->setRange(-0.5, layout_n_ - 0.5);
  layout_plot_->yAxis->setRange(-0.5, layout_n_ - 0.5);
  refresh(layout_plot_);
}

void AttentionPage::show_map() {
  const auto& q = state_.query();
  const auto session = state_.session();
  if (!q || !session || q->capture.weights.empty()) {
    // No query, or one without a capture: no map rather than the previous query's.
    map_plot_->clearPlottables();
    map_plot_->clearItems();
    map_rows_ = map_cols_ = 0;
    map_nonzero_ = 0;
    token_text_.clear();
    token_block_.clear();
    caption_->setText(tr("Build or choose a cache and run a query to see its attention."));
    mass_->clear();
    mass_blocks_.clear();
    highlight_selected({});
    refresh(map_plot_);
    const bool picked = detail_picked_;
    show_block(detail_block_ < layout_n_ ? detail_block_ : -1);
    detail_picked_ = picked && detail_block_ >= 0;
    return;
  }
  const auto& hp = session->model().hparams();
  {
    const QSignalBlocker quiet_layer(layer_), quiet_head(head_);
    layer_->setRange(0, static_cast<int>(hp.n_layer) - 1);
    head_->setRange(0, static_cast<int>(hp.n_head) - 1);
    layer_->setValue(q->capture.layer);
    head_->setValue(q->capture.head);
  }
  const Tokenizer& tok = session->tokenizer();
  const auto& blocks = q->prediction.blocks;
  token_text_.clear();
  token_block_.clear();
  for (size_t b = 0; b < blocks.size(); ++b)
    for (int32_t i = 0; i < blocks[b].n_tokens; ++i) token_block_.push_back(blocks[b].block);
  std::vector<int32_t> all = q->context_tokens;
  all.insert(all.end(), q->query_tokens.begin(), q->query_tokens.end());
  token_block_.resize(all.size(), -1);
  for (const int32_t t : all) token_text_.push_back(QString::fromStdString(tok.decode({t})));
  const auto& w = q->capture.weights;
  map_rows_ = static_cast<int>(w.size());
  map_cols_ = static_cast<int>(all.size());
  QCPColorMap* map = reset_map(map_plot_, map_cols_, map_rows_);
  map_nonzero_ = 0;
  // Keys a query token cannot see (its successors) are NaN, drawn transparent; the colours are on a
  // log scale so the spread of small weights stays visible next to the few large ones.
  for (int r = 0; r < map_rows_; ++r)
    for (int c = 0; c < map_cols_; ++c) {
      const auto& row = w[static_cast<size_t>(r)];
      const float v = static_cast<size_t>(c) < row.size() ? row[static_cast<size_t>(c)] : 0.0f;
      map->data()->setCell(c, r, v > 0.0f ? static_cast<double>(v) : std::nan(""));
      if (v != 0.0f) ++map_nonzero_;
    }
  map->setGradient(QCPColorGradient::gpThermal);
  map->setDataScaleType(QCPAxis::stLogarithmic);
  if (!scale_) {
    scale_ = new QCPColorScale(map_plot_);
    map_plot_->plotLayout()->addElement(0, 1, scale_);
    scale_->setType(QCPAxis::atRight);
    scale_->setDataScaleType(QCPAxis::stLogarithmic);
    scale_->axis()->setLabel(tr("weight"));
  }
  map->setColorScale(scale_);
  map->rescaleDataRange(true);
  // Block boundaries (and the start of the query) as vertical lines.
  int64_t x = 0;
  for (const auto& b : blocks) {
    x += b.n_tokens;
    auto* line = new QCPItemStraightLine(map_plot_);
    line->point1->setCoords(static_cast<double>(x) - 0.5, 0);
    line->point2->setCoords(static_cast<double>(x) - 0.5, 1);
    line->setPen(QPen(Qt::white, 2, Qt::DashLine));
  }
  map_plot_->xAxis->setRange(-0.5, map_cols_ - 0.5);
  map_plot_->yAxis->setRange(-0.5, map_rows_ - 0.5);
  refresh(map_plot_);
  show_mass(*q);
  highlight_selected(blocks);
  // The pane follows the query: a block the user picked stays (its numbers are this query's now);
  // otherwise the block that drew the most attention.
  if ((detail_block_ < 0 || !detail_picked_) && !mass_blocks_.empty()) {
    const auto most = std::max_element(mass_blocks_.begin(), mass_blocks_.end()) - mass_blocks_.begin();
    show_block(blocks[static_cast<size_t>(most)].block);
    detail_picked_ = false;
  } else {
    show_block(detail_block_);
  }
  QStringList ids;
  for (const auto& b : blocks) ids << QString::number(b.block);
  caption_->setText(
      tr("Layer %1, head %2: %3 query tokens over blocks %4 (%5 context tokens). Wheel: zoom, drag: pan.")
          .arg(q->capture.layer)
          .arg(q->capture.head)
          .arg(map_rows_)
          .arg(ids.join(", "))
          .arg(q->context_tokens.size()));
}

// The share of the head's attention on each selected block (and the query), in the caption's order.
void AttentionPage::show_mass(const QueryOutcome& q) {
  const AttentionMass m = attention_mass(q.capture, q.prediction.blocks);
  mass_blocks_ = m.blocks;
  QStringList parts;
  for (size_t i = 0; i < m.blocks.size(); ++i) {
    const SelectedBlock& b = q.prediction.blocks[i];
    parts << tr("block %1%2 %3%")
                 .arg(b.block)
                 .arg(b.forced ? tr(" (sink)") : QString())
                 .arg(100.0 * m.blocks[i], 0, 'f', 1);
  }
  parts << tr("the query itself %1%").arg(100.0 * m.query, 0, 'f', 1);
  mass_->setText(tr("Attention mass (mean over the query tokens): %1").arg(parts.join(", ")));
}

// The selected blocks framed on the layout matrix (their rows: what they saw when pre-encoded).
void AttentionPage::highlight_selected(const std::vector<SelectedBlock>& blocks) {
  layout_plot_->clearItems();
  for (const auto& b : blocks) {
    if (b.block >= layout_n_) continue;
    auto* frame = new QCPItemRect(layout_plot_);
    frame->topLeft->setCoords(-0.5, b.block - 0.5);
    frame->bottomRight->setCoords(layout_n_ - 0.5, b.block + 0.5);
    frame->setPen(QPen(QColor(0x22, 0x22, 0x22), 2));
    frame->setBrush(Qt::NoBrush);
  }
  refresh(layout_plot_);
}

void AttentionPage::reset_zoom() {
  layout_plot_->xAxis->setRange(-0.5, std::max(layout_n_, 1) - 0.5);
  layout_plot_->yAxis->setRange(-0.5, std::max(layout_n_, 1) - 0.5);
  map_plot_->xAxis->setRange(-0.5, std::max(map_cols_, 1) - 0.5);
  map_plot_->yAxis->setRange(-0.5, std::max(map_rows_, 1) - 0.5);
  refresh(layout_plot_);
  refresh(map_plot_);
}

void AttentionPage::show_block(int block) {
  detail_block_ = block >= 0 && block < layout_n_ ? block : -1;
  detail_picked_ = detail_block_ >= 0;
  if (detail_block_ < 0) {
    detail_->clear();
    return;
  }
  const int b = detail_block_;
  QString html = tr("<b>Block %1</b>").arg(b);
  // In the last query's context: place, score, tokens, attention mass of the shown head.
  const auto& q = state_.query();
  const auto session = state_.session();
  bool selected = false;
  if (q && session) {
    const auto& blocks = q->prediction.blocks;
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i].block != b) continue;
      selected = true;
      html += tr(" — %1 of %2 blocks in the last query's context%3; score %4; %5 tokens")
                  .arg(i + 1)
                  .arg(blocks.size())
                  .arg(blocks[i].forced ? tr(" (the sink, always first)") : QString())
                  .arg(blocks[i].score, 0, 'f', 3)
                  .arg(blocks[i].n_tokens);
      if (i < mass_blocks_.size() && !q->capture.weights.empty())
        html += tr("; attention mass %1% at layer %2, head %3")
                    .arg(100.0 * mass_blocks_[i], 0, 'f', 1)
                    .arg(q->capture.layer)
                    .arg(q->capture.head);
    }
    if (!selected) html += tr(" — not among the blocks the last query selected");
  }
  // What it saw when pre-encoded: the cache's pattern (engine/block_layout.h).
  QStringList saw;
  for (int c = 0; c < layout_n_; ++c) {
    const BlockLink link = layout_cell(b, c);
    if (link == BlockLink::Sink) saw << tr("sink block %1").arg(c);
    if (link == BlockLink::Previous) saw << tr("block %1").arg(c);
  }
  saw << tr("itself");
  html += "<br>" + tr("Pre-encoded seeing: %1.").arg(saw.join(QStringLiteral(", ")));
  if (session && b < session->cache().n_blocks()) {
    const BlockRecord& r = session->cache().block(b);
    // The grouping decides which pool demonstrations a block holds (not a range: in-order is a
    // length-balanced round-robin), so every id is listed.
    QStringList ids;
    for (const int64_t id : r.demo_ids) ids << QString::number(id);
    html += "<br>" + tr("%1 demonstrations (pool ids %2), %3 tokens; labels: %4.")
                         .arg(r.demo_ids.size())
                         .arg(ids.join(QStringLiteral(", ")))
                         .arg(r.n_tokens())
                         .arg(QString::fromStdString(label_mix(r.labels)).toHtmlEscaped());
    html += "<pre>" + QString::fromStdString(r.text).toHtmlEscaped() + "</pre>";
  } else {
    html += "<br>" + tr("Its demonstrations show once a query has opened the cache (Query page).");
  }
  detail_->setHtml(html);
}

QString AttentionPage::block_detail_text() const {
  return detail_->toPlainText();
}

QString AttentionPage::mass_text() const {
  return mass_->text();
}

QString AttentionPage::caption() const {
  return caption_->text();
}

QString AttentionPage::hover_text(int row, int column) const {
  const auto& q = state_.query();
  if (!q || row < 0 || column < 0 || row >= map_rows_ || column >= map_cols_) return {};
  const auto& w = q->capture.weights[static_cast<size_t>(row)];
  const float v = static_cast<size_t>(column) < w.size() ? w[static_cast<size_t>(column)] : 0.0f;
  const int block = token_block_[static_cast<size_t>(column)];
  return tr("query token %1 %2 → %3 %4\nweight %5")
      .arg(row)
      .arg(token_text_[static_cast<size_t>(q->context_tokens.size()) + static_cast<size_t>(row)]
               .toHtmlEscaped())
      .arg(block >= 0 ? tr("block %1, token").arg(block) : tr("query token"))
      .arg(token_text_[static_cast<size_t>(column)])
      .arg(static_cast<double>(v), 0, 'g', 4);
}

}  // namespace dbsa::ui
