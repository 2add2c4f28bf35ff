#pragma once
// Long work off the GUI thread (KDAB Hotspot's pattern): the work runs on Qt's global thread pool and
// returns a closure that is run back on the GUI thread to publish its result (an empty closure means
// the work was cancelled and has nothing to publish; JobControl::stopped_early() publishes and still
// ends as cancelled), so results never cross
// threads as half-built Qt objects. Progress and cancellation are polled through a JobControl; a core
// exception becomes failed(message) on the GUI thread, never an exception in the event loop.
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <atomic>
#include <functional>
#include <memory>

namespace dbsa::ui {

// Shared by the worker and the GUI thread.
class JobControl {
 public:
  bool cancelled() const { return cancel_.load(); }
  // Thread-safe; the job forwards the latest value to the GUI thread (fraction 0..1).
  void report(double fraction, const QString& what = {});
  // For core callbacks "return false to cancel": reports and answers whether to continue.
  bool progress(double fraction) {
    report(fraction);
    return !cancelled();
  }
  const std::atomic<bool>* cancel_flag() const { return &cancel_; }
  // The work stopped at the user's cancel but has partial results to publish (an evaluation's finished
  // runs): the publish closure runs, and the job ends as cancelled, not finished.
  void stopped_early() { stopped_early_.store(true); }

 private:
  friend class BackgroundJob;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> stopped_early_{false};
  std::function<void(double, const QString&)> sink_;
};

class BackgroundJob : public QObject {
  Q_OBJECT
 public:
  using Publish = std::function<void()>;
  using Work = std::function<Publish(JobControl&)>;

  explicit BackgroundJob(QObject* parent = nullptr);
  ~BackgroundJob() override;

  // Starts `work`; false (and nothing started, refused() emitted) while a previous job is still running.
  bool start(const QString& title, Work work);
  void cancel();
  bool running() const { return running_; }
  bool cancel_requested() const { return running_ && control_ && control_->cancelled(); }
  const QString& title() const { return title_; }
  // Blocks (processing events) until the job is done; for tests and the --screenshot mode.
  bool wait(int timeout_ms);

 signals:
  void started(const QString& title);
  // fraction 0..1; eta_seconds < 0 while unknown.
  void progressed(double fraction, double eta_seconds, const QString& what);
  // The end of the job titled `title`. A publish closure may start the next job (opening a model
  // regroups the pool), so title() can already name that one: listeners go by the signal's title.
  void finished(const QString& title);  // after the publish closure ran
  void failed(const QString& message, const QString& title);
  void cancelled(const QString& title);
  void refused(const QString& title);  // start() while `this->title()` is running
  // cancel() was asked of the running job `title`; it ends at the work's next check (seconds in a long
  // forward pass), then cancelled() follows.
  void cancelling(const QString& title);
  void done(const QString& title);  // after any of finished/failed/cancelled

 private:
  struct Outcome {
    Publish publish;
    QString error;
    bool cancelled = false;
  };
  void on_finished();

  QFutureWatcher<Outcome> watcher_;
  std::shared_ptr<JobControl> control_;
  QElapsedTimer clock_;
  QString title_;
  bool running_ = false;
};

// "1:05", "0:09": remaining time for progress labels ("--:--" when unknown).
QString eta_text(double seconds);

}  // namespace dbsa::ui
