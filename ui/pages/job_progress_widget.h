#pragma once
// A progress bar with the job's ETA and a Cancel button, bound to the studio's BackgroundJob. It shows
// only the jobs titled in `titles` (each page shows its own work; empty: every job).
#include <QStringList>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace dbsa::ui {

class BackgroundJob;

class JobProgressWidget : public QWidget {
  Q_OBJECT
 public:
  JobProgressWidget(BackgroundJob& job, QStringList titles, QWidget* parent = nullptr);
  int value() const;  // 0..1000, for tests
  QPushButton* cancel_button() const { return cancel_; }
  QString text() const;  // the label beside the bar

 private:
  bool mine() const;  // the running job is one this widget shows
  bool mine(const QString& title) const;
  // The end of job `title` is shown: it is one of ours and no job of ours has started since.
  bool shows_end_of(const QString& title) const;

  BackgroundJob& job_;
  QStringList titles_;
  QProgressBar* bar_;
  QLabel* label_;
  QPushButton* cancel_;
};

}  // namespace dbsa::ui
