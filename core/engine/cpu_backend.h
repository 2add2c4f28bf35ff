#pragma once
// The reference backend: the engine's CPU ops, parallelised over one thread pool. Registered twice
// (engine/backend_registry.h): "cpu" with the streamed attention, "cpu-reference" with llama.cpp's order
// of operations (engine/attention.h, AttentionOrder).
#include <memory>
#include <optional>
#include <string_view>

#include "engine/attention.h"
#include "engine/backend.h"
#include "engine/thread_pool.h"

namespace dbsa {

// The backend's registry name for an attention order, and the order a name selects (none for a name
// that is not the CPU backend's).
std::string_view cpu_backend_name(AttentionOrder order);
std::optional<AttentionOrder> cpu_backend_order(std::string_view name);

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int n_threads = 0, AttentionOrder order = AttentionOrder::Streamed)
      : pool_(n_threads), order_(order) {}
  std::string_view name() const override { return cpu_backend_name(order_); }
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
  AttentionOrder order_;
};

}  // namespace dbsa
