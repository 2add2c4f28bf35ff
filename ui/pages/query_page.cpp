#include "ui/pages/query_page.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "method/model_identity.h"
#include "ui/models/retrieved_demo_model.h"
#include "ui/models/selected_block_model.h"
#include "ui/pages/error_dialog.h"
#include "ui/pages/job_progress_widget.h"
#include "ui/pages/page_widgets.h"
#include "ui/shell/studio_state.h"

namespace dbsa::ui {
namespace {

const QString kQueryJob = QStringLiteral("Query");

// The pool loaded on the Pool page when it is the one the cache was built from (its demo ids then
// index it), else null.
const LoadedPool* pool_of_cache(const StudioState& s, const CacheSession& session) {
  const auto& p = s.pool();
  return p && session.built_from(p->pool->demos) ? p->pool.get() : nullptr;
}

}  // namespace

QueryPage::QueryPage(StudioState& state, QWidget* parent)
    : QWidget(parent),
      state_(state),
      selected_(new SelectedBlockModel(this)),
      demos_(new RetrievedDemoModel(this)) {
  auto* layout = new QVBoxLayout(this);
  auto* box = new QGroupBox(tr("Query"), this);
  auto* form = new QFormLayout(box);
  cache_ = new QLabel(tr("no cache: build or choose one on the Cache page"), box);
  cache_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  form->addRow(tr("cache"), cache_);
  auto* knobs = new QHBoxLayout;
  retriever_ = new QComboBox(box);
  for (const auto& r : block_retriever_names()) retriever_->addItem(QString::fromStdString(r));
  select_ = block_counter(tr("select "), 3, box);
  order_ = new QComboBox(box);
  for (const auto& o : block_order_names()) order_->addItem(QString::fromStdString(o));
  knobs->addWidget(retriever_);
  knobs->addWidget(select_);
  knobs->addWidget(order_);
  knobs->addStretch(1);
  form->addRow(tr("retrieval"), knobs);
  tests_ = new QComboBox(box);
  tests_->setPlaceholderText(tr("pick a test query of the pool's dataset"));
  form->addRow(tr("test query"), tests_);
  auto* text_row = new QHBoxLayout;
  text_ = new QLineEdit(box);
  text_->setPlaceholderText(tr("or type a query"));
  auto* run = new QPushButton(tr("Run"), box);
  run->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  text_row->addWidget(text_, 1);
  text_row->addWidget(run);
  form->addRow(tr("text"), text_row);
  label_ = new QLabel(box);
  label_->setTextFormat(Qt::RichText);
  form->addRow(tr("label"), label_);
  timings_ = new QLabel(box);
  form->addRow(tr("timings"), timings_);
  form->addRow(new JobProgressWidget(state_.job(), {kQueryJob}, box));
  layout->addWidget(box);

  auto* split = new QSplitter(Qt::Vertical, this);
  table_view(selected_, split, true);
  table_view(demos_, split, true);
  layout->addWidget(split, 1);

  // A typed (or picked and re-run) text that is one of the pool's test queries keeps its gold label.
  const auto run_text = [this] { run_query(text_->text(), gold_of(text_->text())); };
  connect(run, &QPushButton::clicked, this, run_text);
  start_controls(state_.job(), {run, tests_});
  connect(text_, &QLineEdit::returnPressed, this, run_text);
  connect(tests_, &QComboBox::activated, this, &QueryPage::run_test_query);
  connect(&state_, &StudioState::pool_changed, this, &QueryPage::show_tests);
  connect(&state_, &StudioState::query_changed, this, &QueryPage::show_query);
  connect(&state_, &StudioState::cache_changed, this, &QueryPage::show_cache);
  connect(&state_, &StudioState::model_changed, this, &QueryPage::show_cache);
  connect(&state_.job(), &BackgroundJob::failed, this, [this](const QString& message, const QString& t) {
    if (t == kQueryJob) show_error(this, kQueryJob, message);
  });
}

void QueryPage::set_select(int n) {
  select_->setValue(n);
}

void QueryPage::set_retriever(const QString& name) {
  retriever_->setCurrentText(name);
}

void QueryPage::show_tests() {
  tests_->clear();
  const auto& p = state_.pool();
  if (!p) return;
  for (const Example& e : p->tests)
    tests_->addItem(QString::fromStdString(e.text).left(100) + "  →  " + QString::fromStdString(e.label));
}

void QueryPage::run_test_query(int index) {
  const auto& p = state_.pool();
  if (!p || index < 0 || static_cast<size_t>(index) >= p->tests.size()) return;
  const Example& e = p->tests[static_cast<size_t>(index)];
  tests_->setCurrentIndex(index);
  text_->setText(QString::fromStdString(e.text));
  run_query(QString::fromStdString(e.text), QString::fromStdString(e.label));
}

QString QueryPage::gold_of(const QString& text) const {
  const auto& p = state_.pool();
  if (!p) return {};
  const std::string t = text.toStdString();
  for (const Example& e : p->tests)
    if (e.text == t) return QString::fromStdString(e.label);
  return {};
}

void QueryPage::rerun() {
  if (const auto& q = state_.query())
    run_query(QString::fromStdString(q->text), QString::fromStdString(q->gold));
}

void QueryPage::run_query(const QString& text, const QString& gold) {
  const std::filesystem::path dir = state_.cache_dir();
  if (dir.empty()) {
    show_error(this, kQueryJob, tr("Choose a cache on the Cache page first."));
    return;
  }
  std::shared_ptr<CacheSession> session = state_.session();
  const std::string retriever = retriever_->currentText().toStdString();
  if (session && session->retriever_name() != retriever) session.reset();
  // The cache's model runs as the open model does (backend, KV cache type, context limit; the CPU when
  // none is open), with its weights held as they were when the cache was computed (a cache of `dbsa
  // encode --weights-f16` as well as one built here): an unknown holding loads them in their blocks
  // and the session's check names it.
  StudioLoad how = state_.model() ? state_.model()->load : StudioLoad{};
  if (const CacheSummary* summary = state_.cache())
    how.precision =
        cache_weight_precision(summary->meta.key.model_fingerprint).value_or(WeightPrecision::Native);
  QueryConfig cfg;
  cfg.n_select = select_->value();
  cfg.order = parse_block_order(order_->currentText().toStdString());
  const int32_t layer = state_.capture_layer(), head = state_.capture_head();
  state_.job().start(kQueryJob, [=, this](JobControl& c) mutable -> BackgroundJob::Publish {
    if (!session) {
      c.report(0.1, tr("opening the cache and its model"));
      CacheSessionOptions so;
      so.retriever = retriever;
      session = std::make_shared<CacheSession>(
          dir, so, [how](std::shared_ptr<const GgufFile> f) { return load_studio_model(std::move(f), how); });
    }
    c.report(0.6, tr("querying"));
    QueryOutcome q;
    q.text = text.toStdString();
    q.gold = gold.toStdString();
    static_cast<CapturedQuery&>(q) = session->run_captured(q.text, cfg, layer, head);
    return [this, session, q = std::move(q)]() mutable {
      state_.set_session(session);
      state_.set_query(std::move(q));
    };
  });
}

// The cache and the model its queries run on (the cache's own, whatever model is open), said plainly
// when that is not the open model.
void QueryPage::show_cache() {
  const auto& d = state_.cache_dir();
  if (d.empty()) {
    cache_->setText(tr("no cache: build one, or choose one with \"Use for queries\" on the Cache page"));
    return;
  }
  const QString model = QString::fromStdString(state_.cache_model_path());
  QString text = tr("%1\nqueries run on the cache's model: %2")
                     .arg(QString::fromStdString(d.string()), model.isEmpty() ? tr("(unknown)") : model);
  if (!state_.cache_built_with_open_model())
    text += state_.model() ? tr("\n⚠ not the open model (%1): this cache was built with another file")
                                 .arg(QString::fromStdString(state_.model()->path.string()))
                           : tr("\n(no model is open: the cache's model is loaded for its queries)");
  cache_->setText(text);
}

QString QueryPage::cache_text() const {
  return cache_->text();
}

void QueryPage::show_query() {
  const auto& q = state_.query();
  const auto session = state_.session();
  if (!q || !session) {  // none, or the last one belonged to a cache no longer chosen
    selected_->set_prediction({}, nullptr, {});
    demos_->clear();
    label_->clear();
    timings_->clear();
    return;
  }
  const Prediction& p = q->prediction;
  selected_->set_prediction(p.blocks, &session->cache(),
                            session->retriever_name() == "bm25" ? tr("BM25 score") : tr("dense score"));
  demos_->set_blocks(p.blocks, session->cache(), pool_of_cache(state_, *session));
  const QString predicted = QString::fromStdString(p.label).toHtmlEscaped();
  if (q->gold.empty()) {
    label_->setText(tr("<b>%1</b>").arg(predicted));
  } else {
    const bool right = p.label == q->gold;
    label_->setText(tr("<b>%1</b> — gold %2 <span style='color:%3'>%4</span>")
                        .arg(predicted, QString::fromStdString(q->gold).toHtmlEscaped(),
                             right ? "#2e7d32" : "#c62828", right ? tr("✓ correct") : tr("✗ wrong")));
  }
  const QueryTimings& t = p.timings;
  timings_->setText(tr("retrieval %1 ms, assembly %2 ms, forward %3 ms, decode %4 ms, total %5 ms; %6 "
                       "context + %7 query tokens")
                        .arg(1e3 * t.retrieval_s, 0, 'f', 2)
                        .arg(1e3 * t.assembly_s, 0, 'f', 2)
                        .arg(1e3 * t.forward_s, 0, 'f', 2)
                        .arg(1e3 * t.decode_s, 0, 'f', 2)
                        .arg(1e3 * t.total(), 0, 'f', 2)
                        .arg(p.context_tokens)
                        .arg(p.query_tokens));
  // Positions past the model's trained context are extrapolation (RoPE beyond its training range):
  // the label may still come out, but it is not what the model was trained to do.
  const int64_t used = p.context_tokens + p.query_tokens;
  if (const uint32_t trained = session->model().hparams().n_ctx_train; trained > 0 && used > trained)
    timings_->setText(timings_->text() + "\n" +
                      tr("⚠ %1 tokens is more than the %2 the model was trained on").arg(used).arg(trained));
}

QString QueryPage::result_text() const {
  return label_->text() + "\n" + timings_->text();
}

}  // namespace dbsa::ui
