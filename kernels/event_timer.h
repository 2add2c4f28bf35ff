#pragma once
// Device time of the work issued to one stream, measured with a pair of CUDA events (the host clock
// would include launch latency and miss asynchronous work still running).
#include <cuda_runtime.h>

#include "engine/forward_runner.h"

namespace dbsa::cuda {

class EventTimer final : public DeviceTimer {
 public:
  explicit EventTimer(cudaStream_t s);
  ~EventTimer() override;
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  void start() override;
  double stop_seconds() override;

 private:
  cudaStream_t stream_;
  cudaEvent_t begin_ = nullptr, end_ = nullptr;
};

}  // namespace dbsa::cuda
