#include "ui/pages/job_progress_widget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>

#include "ui/shell/background_job.h"

namespace dbsa::ui {

JobProgressWidget::JobProgressWidget(BackgroundJob& job, QStringList titles, QWidget* parent)
    : QWidget(parent),
      job_(job),
      titles_(std::move(titles)),
      bar_(new QProgressBar(this)),
      label_(new QLabel(this)),
      cancel_(new QPushButton(tr("Cancel"), this)) {
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(bar_, 1);
  row->addWidget(label_);
  row->addWidget(cancel_);
  bar_->setRange(0, 1000);
  bar_->setValue(0);
  cancel_->setEnabled(false);
  // One Esc for the whole window: only the status bar's widget (which shows every job) takes it.
  if (titles_.isEmpty()) cancel_->setShortcut(QKeySequence(Qt::Key_Escape));
  connect(cancel_, &QPushButton::clicked, &job_, &BackgroundJob::cancel);
  // Cancelling waits for the work's next check: said at once by every widget showing the job, however
  // the cancel was asked (this button, the status bar's, Esc).
  connect(&job_, &BackgroundJob::cancelling, this, [this](const QString& title) {
    if (!mine(title)) return;
    cancel_->setEnabled(false);
    label_->setText(tr("%1 — cancelling…").arg(title));
  });
  connect(&job_, &BackgroundJob::started, this, [this](const QString& title) {
    if (!mine()) return;
    bar_->setValue(0);
    label_->setText(title);
    cancel_->setEnabled(true);
  });
  connect(&job_, &BackgroundJob::progressed, this, [this](double f, double eta, const QString&) {
    if (!mine() || job_.cancel_requested()) return;
    bar_->setValue(static_cast<int>(f * 1000.0));
    label_->setText(tr("%1 — ETA %2").arg(job_.title(), eta_text(eta)));
  });
  connect(&job_, &BackgroundJob::done, this, [this](const QString& title) {
    if (shows_end_of(title)) cancel_->setEnabled(false);
  });
  connect(&job_, &BackgroundJob::finished, this, [this](const QString& title) {
    if (!shows_end_of(title)) return;
    bar_->setValue(1000);
    label_->setText(tr("%1 — done").arg(title));
  });
  connect(&job_, &BackgroundJob::cancelled, this, [this](const QString& title) {
    if (shows_end_of(title)) label_->setText(tr("%1 — cancelled").arg(title));
  });
  connect(&job_, &BackgroundJob::failed, this, [this](const QString&, const QString& title) {
    if (shows_end_of(title)) label_->setText(tr("%1 — failed").arg(title));
  });
}

bool JobProgressWidget::mine() const {
  return mine(job_.title());
}

bool JobProgressWidget::mine(const QString& title) const {
  return titles_.isEmpty() || titles_.contains(title);
}

bool JobProgressWidget::shows_end_of(const QString& title) const {
  // A job of ours started by the ended one's publish is what this widget shows now.
  return mine(title) && !(job_.running() && mine());
}

QString JobProgressWidget::text() const {
  return label_->text();
}

int JobProgressWidget::value() const {
  return bar_->value();
}

}  // namespace dbsa::ui
