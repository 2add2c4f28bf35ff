#pragma once
// Model page: open a GGUF file (architecture, dimensions, tensor types/quantization, size, tokenizer)
// and try it with a prompt: generation streams into the page as tokens come, and can be cancelled.
#include <QWidget>

class QFormLayout;
class QLabel;
class QPlainTextEdit;
class QSpinBox;
class QCheckBox;
class QComboBox;
class QPushButton;

namespace dbsa::ui {

class StudioState;
struct StudioLoad;
class JobProgressWidget;

class ModelPage : public QWidget {
  Q_OBJECT
 public:
  explicit ModelPage(StudioState& state, QWidget* parent = nullptr);

  // Loads in the background; the state's model_changed() (or the job's failed()) follows.
  void open_model(const QString& path);
  // The longest sequence the studio assembles for the model (0: the file's context length), as the
  // CLI's --max-context; an open model is reloaded with it.
  void set_context_limit(int tokens);
  void generate(const QString& prompt, int max_tokens);
  QString info_text() const;  // the fields shown, one "name: value" per line
  QString output_text() const;
  JobProgressWidget& progress() { return *progress_; }

 signals:
  void model_opened(const QString& path);  // for the recent-files list

 private:
  void show_model();
  void show_open_settings();  // the load boxes back to the open model's
  StudioLoad chosen_load() const;
  void reload_if_changed();  // an open model loaded otherwise than the boxes say is loaded again
  void set_field(int row, const QString& value);

  StudioState& state_;
  JobProgressWidget* progress_;
  QFormLayout* form_;
  QList<QLabel*> values_;
  QPlainTextEdit* prompt_;
  QSpinBox* max_tokens_;
  QCheckBox* greedy_;
  QPushButton* generate_;
  QPlainTextEdit* output_;
  QLabel* stats_;
  QComboBox* backend_;
  QComboBox* weights_;
  QComboBox* kv_;
  QSpinBox* context_;
};

}  // namespace dbsa::ui
