#include "event_timer.h"

#include "cuda_check.h"

namespace dbsa::cuda {

EventTimer::EventTimer(cudaStream_t s) : stream_(s) {
  DBSA_CUDA_CHECK(cudaEventCreate(&begin_));
  try {
    DBSA_CUDA_CHECK(cudaEventCreate(&end_));
  } catch (...) {
    cudaEventDestroy(begin_);
    throw;
  }
}

EventTimer::~EventTimer() {
  cudaEventDestroy(begin_);
  cudaEventDestroy(end_);
}

void EventTimer::start() {
  DBSA_CUDA_CHECK(cudaEventRecord(begin_, stream_));
}

double EventTimer::stop_seconds() {
  DBSA_CUDA_CHECK(cudaEventRecord(end_, stream_));
  DBSA_CUDA_CHECK(cudaEventSynchronize(end_));
  float ms = 0.0f;
  DBSA_CUDA_CHECK(cudaEventElapsedTime(&ms, begin_, end_));
  return static_cast<double>(ms) / 1e3;
}

}  // namespace dbsa::cuda
