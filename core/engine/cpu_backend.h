#pragma once
// The reference backend: the engine's CPU ops, parallelised over one thread pool. Registered twice
// (engine/backend_registry.h): "cpu", the fastest (the streamed attention, the AMX tile kernels where
// the CPU has them), and "cpu-reference", llama.cpp's AVX2 build's order of operations: attention in
// its order (engine/attention.h, AttentionOrder) and quantized products on the vector kernels, whose sums
// are its bits (engine/quant_kernels.h, QuantKernels). With both, a forward pass of a quantized model
// gives the reference's bits on any CPU with AVX2 (tests/engine/test_reference_fixtures.cpp).
#include <memory>
#include <optional>
#include <string_view>

#include "engine/attention.h"
#include "engine/backend.h"
#include "engine/quant_kernels.h"
#include "engine/thread_pool.h"

namespace dbsa {

// The backend's registry name for an attention order, and the order a name selects (none for a name
// that is not the CPU backend's).
std::string_view cpu_backend_name(AttentionOrder order);
std::optional<AttentionOrder> cpu_backend_order(std::string_view name);
// What the backend of that order is for, in a few words (the CLI's --backend help, the studio's list).
std::string_view cpu_backend_summary(AttentionOrder order);
// The quantized kernels the backend of that order takes.
QuantKernels cpu_backend_kernels(AttentionOrder order);

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
  // The streamed order converts F16 tiles as it reads them; the reference order is llama.cpp's over its
  // F32 cache (the fixtures' setting), so it takes F32 only.
  bool reads_f16_cache() const override { return order_ == AttentionOrder::Streamed; }

 private:
  ThreadPool pool_;
  AttentionOrder order_;
};

}  // namespace dbsa
