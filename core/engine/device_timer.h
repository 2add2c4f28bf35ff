#pragma once
// Elapsed time on a device's own clock (CUDA events): the host clock would include launch latency and
// miss work still running asynchronously. Backends and forward runners that have such a clock hand one
// out (Backend::device_timer, ForwardRunner::device_timer); host backends have none.

namespace dbsa {

class DeviceTimer {
 public:
  virtual ~DeviceTimer() = default;
  virtual void start() = 0;
  // Waits for the work issued since start() and returns its device time in seconds.
  virtual double stop_seconds() = 0;
};

}  // namespace dbsa
