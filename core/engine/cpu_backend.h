#pragma once
// The reference backend: the engine's CPU ops, parallelised over one thread pool.
#include <memory>

#include "engine/backend.h"
#include "engine/thread_pool.h"

namespace dbsa {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int n_threads = 0) : pool_(n_threads) {}
  std::string_view name() const override { return "cpu"; }
  ThreadPool& pool() { return pool_; }
  int n_threads() const { return pool_.size(); }

  void matmul(const float* x, int64_t n, const WeightMatrix& w, float* y) override;
  void matmuls(const float* x, int64_t n, std::span<const MatmulTarget> targets) override;
  void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps) override;
  void swiglu(const float* gate, const float* up, float* out, int64_t n) override;
  void rope(const RopeParams& p, const RopeTable& table, int64_t first_row, float* x, int64_t n_tokens,
            int32_t n_heads) override;
  void attention(const AttentionArgs& args) override;

 private:
  ThreadPool pool_;
};

}  // namespace dbsa
