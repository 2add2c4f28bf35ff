#include "ui/shell/background_job.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QPointer>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>
#include <exception>

namespace dbsa::ui {

void JobControl::report(double fraction, const QString& what) {
  if (sink_) sink_(fraction, what);
}

BackgroundJob::BackgroundJob(QObject* parent) : QObject(parent) {
  connect(&watcher_, &QFutureWatcher<Outcome>::finished, this, &BackgroundJob::on_finished);
}

BackgroundJob::~BackgroundJob() {
  // The work holds references into objects owned by the pages: it must end before they go.
  if (running_) {
    control_->cancel_.store(true);
    watcher_.waitForFinished();
  }
}

bool BackgroundJob::start(const QString& title, Work work) {
  if (running_) {
    Q_EMIT refused(title);
    return false;
  }
  running_ = true;
  title_ = title;
  control_ = std::make_shared<JobControl>();
  QPointer<BackgroundJob> self(this);
  control_->sink_ = [self](double fraction, const QString& what) {
    // Queued to the GUI thread; the ETA is extrapolated there from the elapsed time.
    QMetaObject::invokeMethod(
        QCoreApplication::instance(),
        [self, fraction, what] {
          if (!self || !self->running_) return;
          const double elapsed = static_cast<double>(self->clock_.elapsed()) / 1000.0;
          const double eta = fraction > 0.01 ? elapsed * (1.0 - fraction) / fraction : -1.0;
          Q_EMIT self->progressed(fraction, eta, what);
        },
        Qt::QueuedConnection);
  };
  clock_.start();
  Q_EMIT started(title);
  std::shared_ptr<JobControl> control = control_;
  watcher_.setFuture(QtConcurrent::run([control, work = std::move(work)]() {
    Outcome o;
    try {
      o.publish = work(*control);
    } catch (const std::exception& e) {
      o.error = QString::fromStdString(e.what());
    } catch (...) {
      o.error = QStringLiteral("unknown error");
    }
    o.cancelled = o.error.isEmpty() && (!o.publish || control->stopped_early_.load());
    return o;
  }));
  return true;
}

void BackgroundJob::cancel() {
  if (!running_ || control_->cancel_.exchange(true)) return;
  Q_EMIT cancelling(title_);
}

bool BackgroundJob::wait(int timeout_ms) {
  if (!running_) return true;
  QEventLoop loop;
  QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
  connect(this, &BackgroundJob::done, &loop, &QEventLoop::quit);
  loop.exec();
  return !running_;
}

void BackgroundJob::on_finished() {
  Outcome o = watcher_.result();
  running_ = false;
  const QString title = title_;  // the publish may start the next job, which replaces title_
  if (!o.error.isEmpty()) {
    Q_EMIT failed(o.error, title);
  } else {
    try {
      if (o.publish) o.publish();
      if (o.cancelled)
        Q_EMIT cancelled(title);
      else
        Q_EMIT finished(title);
    } catch (const std::exception& e) {
      Q_EMIT failed(QString::fromStdString(e.what()), title);
    }
  }
  Q_EMIT done(title);
}

QString eta_text(double seconds) {
  if (seconds < 0) return QStringLiteral("--:--");
  const auto s = static_cast<long long>(seconds + 0.5);
  return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace dbsa::ui
