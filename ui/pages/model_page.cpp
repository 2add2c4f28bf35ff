#include "ui/pages/model_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QVariant>
#include <vector>

#include "cache/fingerprint.h"
#include "engine/backend_registry.h"
#include "engine/cpu_backend.h"
#include "engine/generation.h"
#include "engine/weight_holding.h"
#include "ui/models/cache_list_model.h"
#include "ui/pages/error_dialog.h"
#include "ui/pages/job_progress_widget.h"
#include "ui/pages/page_widgets.h"
#include "ui/shell/studio_state.h"

namespace dbsa::ui {
namespace {

const char* const kFields[] = {"file",    "architecture", "parameters", "dimensions", "context",
                               "rope",    "quantization", "size",       "tokenizer",  "backend",
                               "held as", "kernels",      "kv cache"};
const QString kOpenJob = QStringLiteral("Open model");
const QString kGenerateJob = QStringLiteral("Generate");

// An item of a choice box: its text, its data and its tooltip.
struct Choice {
  QString text;
  QVariant data;
  QString tip;
};

// A labelled box of choices, children of `parent`, added to `row`.
QComboBox* add_choice_box(QWidget* parent, QHBoxLayout* row, const QString& label, const QString& object_name,
                          const std::vector<Choice>& choices) {
  auto* l = new QLabel(label, parent);
  auto* box = new QComboBox(parent);
  box->setObjectName(object_name);
  for (const Choice& c : choices) {
    box->addItem(c.text, c.data);
    box->setItemData(box->count() - 1, c.tip, Qt::ToolTipRole);
  }
  l->setBuddy(box);
  row->addWidget(l);
  row->addWidget(box);
  return box;
}

}  // namespace

ModelPage::ModelPage(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  auto* open = new QPushButton(tr("Open model…"), this);
  top->addWidget(open);
  top->addStretch(1);
  // Every backend of this build (the CUDA one where compiled in); a model opens on the chosen one and
  // an open model is reloaded when the choice changes.
  std::vector<Choice> backends;
  for (const auto& name : backend_names())
    backends.push_back({QString::fromStdString(name), {}, QString::fromStdString(backend_summary(name))});
  backend_ = add_choice_box(this, top, tr("Backend:"), QStringLiteral("backendBox"), backends);
  // How weights and KV caches are held, as the CLI's --weights-* and --kv-cache: caches built here carry
  // the weights' holding in their identity (method/model_identity.h).
  const auto precision = [](WeightPrecision p, const QString& tip) {
    return Choice{QString::fromUtf8(weight_precision_name(p)), static_cast<int>(p), tip};
  };
  weights_ = add_choice_box(
      this, top, tr("Weights:"), QStringLiteral("weightsBox"),
      {precision(
           WeightPrecision::Native,
           tr("Quantized matrices stay in their GGUF blocks and run on integer kernels: the least memory")),
       precision(WeightPrecision::F16,
                 tr("Quantized matrices are dequantized to F16 at load (about 3.5× the "
                    "memory of Q4_K): the expansion of earlier versions, for comparison")),
       precision(WeightPrecision::F32,
                 tr("Every matrix is held as F32 (about 7× the memory of Q4_K): quantized "
                    "ones then sum exactly"))});
  const auto kv_type = [](KvType t, const QString& tip) {
    return Choice{QString::fromUtf8(kv_type_name(t)), static_cast<int>(t), tip};
  };
  kv_ = add_choice_box(
      this, top, tr("KV cache:"), QStringLiteral("kvCacheBox"),
      {kv_type(KvType::F32,
               tr("Keys and values of prompts and baselines in F32 (what the fixtures' reference "
                  "used)")),
       kv_type(KvType::F16,
               tr("Keys and values rounded once to F16 when stored: half the memory and the bytes "
                  "a decode over a long context reads (backend cpu only). DBSA's block store is "
                  "F16 either way"))});
  // Past the trained length RoPE extrapolates: allowed when chosen here, and the Query page says so.
  auto* context_label = new QLabel(tr("Context limit:"), this);
  context_ = new QSpinBox(this);
  context_->setObjectName(QStringLiteral("contextLimitBox"));
  context_->setRange(0, 1 << 24);
  context_->setSingleStep(256);
  context_->setSpecialValueText(tr("the file's"));
  context_->setSuffix(tr(" tokens"));
  context_->setKeyboardTracking(false);  // a typed number reloads once, when entered
  context_label->setBuddy(context_);
  top->addWidget(context_label);
  top->addWidget(context_);
  layout->addLayout(top);

  auto* info = new QGroupBox(tr("Model"), this);
  form_ = new QFormLayout(info);
  for (const char* f : kFields) {
    auto* v = new QLabel(QStringLiteral("—"), info);
    v->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->setWordWrap(true);
    values_.append(v);
    form_->addRow(QString::fromLatin1(f), v);
  }
  layout->addWidget(info);

  auto* test = new QGroupBox(tr("Test prompt"), this);
  auto* tl = new QVBoxLayout(test);
  prompt_ = new QPlainTextEdit(QStringLiteral("Once upon a time"), test);
  prompt_->setMaximumHeight(80);
  tl->addWidget(prompt_);
  auto* controls = new QHBoxLayout;
  max_tokens_ = new QSpinBox(test);
  max_tokens_->setRange(1, 4096);
  max_tokens_->setValue(32);
  max_tokens_->setPrefix(tr("tokens: "));
  greedy_ = new QCheckBox(tr("greedy"), test);
  greedy_->setChecked(true);
  generate_ = new QPushButton(tr("Generate"), test);
  generate_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
  set_control_wanted(generate_, false);  // until a model is open
  controls->addWidget(max_tokens_);
  controls->addWidget(greedy_);
  controls->addStretch(1);
  controls->addWidget(generate_);
  tl->addLayout(controls);
  output_ = new QPlainTextEdit(test);
  output_->setReadOnly(true);
  tl->addWidget(output_, 1);
  stats_ = new QLabel(test);
  tl->addWidget(stats_);
  layout->addWidget(test, 1);
  progress_ = new JobProgressWidget(state_.job(), {kOpenJob, kGenerateJob}, this);
  layout->addWidget(progress_);

  start_controls(state_.job(), {open, backend_, weights_, kv_, context_, generate_});
  connect(open, &QPushButton::clicked, this, [this] {
    const QString f =
        QFileDialog::getOpenFileName(this, tr("Open GGUF model"), {}, tr("GGUF models (*.gguf)"));
    if (!f.isEmpty()) open_model(f);
  });
  connect(generate_, &QPushButton::clicked, this,
          [this] { generate(prompt_->toPlainText(), max_tokens_->value()); });
  connect(&state_, &StudioState::model_changed, this, &ModelPage::show_model);
  for (QComboBox* box : {backend_, weights_, kv_})
    connect(box, &QComboBox::currentIndexChanged, this, &ModelPage::reload_if_changed);
  connect(context_, &QSpinBox::valueChanged, this, &ModelPage::reload_if_changed);
  // The text so far arrives with each progress report of a generation, decoded from the whole
  // sequence so multi-token characters stay whole (as `dbsa generate` prints them).
  connect(&state_.job(), &BackgroundJob::progressed, this, [this](double, double, const QString& text) {
    if (state_.job().title() == kGenerateJob && !text.isEmpty()) output_->setPlainText(text);
  });
  connect(&state_.job(), &BackgroundJob::failed, this, [this](const QString& message, const QString& t) {
    if (t == kOpenJob || t == kGenerateJob) show_error(this, t, message);
    // A model that failed to open with the chosen settings leaves the open one: show how that runs.
    if (t == kOpenJob) show_open_settings();
  });
}

StudioLoad ModelPage::chosen_load() const {
  StudioLoad how;
  how.backend = backend_->currentText().toStdString();
  how.precision = static_cast<WeightPrecision>(weights_->currentData().toInt());
  how.kv = static_cast<KvType>(kv_->currentData().toInt());
  how.max_context = context_->value();
  return how;
}

void ModelPage::reload_if_changed() {
  const auto& m = state_.model();
  if (m && chosen_load() != m->load) open_model(QString::fromStdString(m->path.string()));
}

void ModelPage::open_model(const QString& path) {
  const StudioLoad how = chosen_load();
  const bool started =
      state_.job().start(kOpenJob, [this, path, how](JobControl& c) -> BackgroundJob::Publish {
        OpenModel m;
        m.path = path.toStdString();
        m.load = how;
        c.report(0.1, tr("reading"));
        m.file = GgufFile::open(m.path);
        m.summary = summarize_model(*m.file);
        m.tok = Tokenizer::from_gguf(*m.file);
        m.fingerprint = fingerprint_file(m.path);
        c.report(0.4, tr("loading weights"));
        m.model = load_studio_model(m.file, how);
        return [this, m = std::move(m), path]() mutable {
          state_.set_model(std::move(m));
          Q_EMIT model_opened(path);
        };
      });
  if (!started) show_open_settings();  // another job runs: nothing reloads, so the choice stays as it was
}

void ModelPage::set_context_limit(int tokens) {
  context_->setValue(tokens);
}

void ModelPage::show_open_settings() {
  if (!state_.model()) return;
  const StudioLoad& how = state_.model()->load;
  const QSignalBlocker block(backend_), block_weights(weights_), block_kv(kv_), block_context(context_);
  backend_->setCurrentText(QString::fromStdString(how.backend));
  weights_->setCurrentIndex(weights_->findData(static_cast<int>(how.precision)));
  kv_->setCurrentIndex(kv_->findData(static_cast<int>(how.kv)));
  context_->setValue(static_cast<int>(how.max_context));
}

void ModelPage::show_model() {
  const auto& m = state_.model();
  set_control_wanted(generate_, m.has_value());
  // Text generated by another model (or the same one before a reload) is not this model's output.
  output_->clear();
  if (!m) return;
  const ModelSummary& s = m->summary;
  const ModelHParams& hp = s.hparams;
  QStringList types;
  for (const auto& [name, use] : s.tensor_types)
    types << QStringLiteral("%1 ×%2 (%3)")
                 .arg(QString::fromStdString(name))
                 .arg(use.tensors)
                 .arg(byte_size_text(use.bytes));
  const QString tok = s.tokenizer_model.empty() ? tr("none") : QString::fromStdString(s.tokenizer_model);
  set_field(0, QString::fromStdString(m->path.string()));
  set_field(1, QString::fromStdString(hp.arch) +
                   (hp.name.empty() ? "" : "  (" + QString::fromStdString(hp.name) + ")"));
  set_field(2, tr("%L1 in %2 tensors").arg(s.n_params).arg(s.n_tensors));
  set_field(3, tr("n_embd %1, n_layer %2, n_head %3, n_head_kv %4, head_dim %5, n_ff %6")
                   .arg(hp.n_embd)
                   .arg(hp.n_layer)
                   .arg(hp.n_head)
                   .arg(hp.n_head_kv)
                   .arg(hp.head_dim)
                   .arg(hp.n_ff));
  set_field(4, m->load.max_context > 0 ? tr("%1 tokens (trained); limit %2 tokens (set above)")
                                             .arg(hp.n_ctx_train)
                                             .arg(m->load.max_context)
                                       : tr("%1 tokens (trained, the limit)").arg(hp.n_ctx_train));
  set_field(5, tr("base %1, %2 layout, scaling %3")
                   .arg(static_cast<double>(hp.rope_freq_base))
                   .arg(hp.rope_neox ? "neox" : "normal")
                   .arg(QString::fromStdString(rope_scaling_name(hp.rope_scaling))));
  set_field(6, types.join(QStringLiteral(", ")));
  set_field(7, tr("%1 (GGUF v%2)").arg(byte_size_text(s.file_size)).arg(s.gguf_version));
  set_field(
      8, tr("%1%2, %3 tokens")
             .arg(tok, s.tokenizer_pre.empty() ? QString() : " / " + QString::fromStdString(s.tokenizer_pre))
             .arg(hp.n_vocab));
  set_field(9, QString::fromStdString(m->load.backend));
  // How the open model holds its matrices, and the integer kernels its backend runs them on.
  const auto order = cpu_backend_order(m->load.backend);
  const WeightHolding held = describe_holding(m->model->weights(), m->file.get(),
                                              order ? cpu_backend_kernels(*order) : QuantKernels::Fastest);
  set_field(10, QString::fromStdString(held_summary(held)));
  const std::string kernels = kernels_summary(held);
  set_field(11, kernels.empty() ? tr("none (no matrix in its blocks)") : QString::fromStdString(kernels));
  set_field(12, m->model->kv_type() == KvType::F16
                    ? tr("f16 (half the memory; keys and values rounded once when stored)")
                    : tr("f32"));
}

void ModelPage::set_field(int row, const QString& value) {
  values_[row]->setText(value);
}

QString ModelPage::info_text() const {
  QStringList lines;
  for (int i = 0; i < values_.size(); ++i)
    lines << QString::fromLatin1(kFields[i]) + ": " + values_[i]->text();
  return lines.join('\n');
}

QString ModelPage::output_text() const {
  return output_->toPlainText();
}

void ModelPage::generate(const QString& prompt_text, int max_tokens) {
  const auto& m = state_.model();
  if (!m) return;
  std::shared_ptr<LlamaModel> model = m->model;
  std::shared_ptr<const Tokenizer> tok = m->tok;
  const bool greedy = greedy_->isChecked();
  prompt_->setPlainText(prompt_text);
  max_tokens_->setValue(max_tokens);
  output_->clear();
  stats_->clear();
  state_.job().start(kGenerateJob, [=, this](JobControl& c) -> BackgroundJob::Publish {
    EncodeOptions eo;
    const auto prompt = tok->encode(prompt_text.toStdString(), eo);
    if (prompt.empty()) throw std::runtime_error("generate: the prompt has no tokens");
    GenerateOptions go;
    go.max_tokens = max_tokens;
    if (!greedy) go.sampler = SamplerConfig{0.8f, 40, 0.95f, 0};
    go.stop_token = tok->eos();
    std::vector<int32_t> seq = prompt;
    go.on_token = [&](int32_t t) {
      seq.push_back(t);
      c.report(static_cast<double>(seq.size() - prompt.size()) / max_tokens,
               QString::fromStdString(tok->decode(seq)));
      return !c.cancelled();
    };
    KvCache cache = model->make_cache(static_cast<int64_t>(prompt.size()) + max_tokens);
    const GenerateResult r = dbsa::generate(*model, cache, prompt, go);
    const QString text = QString::fromStdString(tok->decode(seq));
    const QString stats =
        tr("prompt %1 tokens in %2 s, %3 generated at %4 tokens/s")
            .arg(prompt.size())
            .arg(r.prefill_seconds, 0, 'f', 3)
            .arg(r.tokens.size())
            .arg(r.decode_seconds > 0 ? static_cast<double>(r.tokens.size()) / r.decode_seconds : 0.0, 0, 'f',
                 1);
    return [this, text, stats] {
      output_->setPlainText(text);
      stats_->setText(stats);
    };
  });
}

}  // namespace dbsa::ui
