#pragma once
// The operations a forward pass needs, behind one interface: the CPU backend (core/engine) is the
// reference, the CUDA backend (kernels/) implements the same calls and is tested against it op by op.
// Buffers are host float arrays laid out as documented per call.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "engine/attention.h"
#include "engine/device_timer.h"
#include "engine/matmul_target.h"
#include "engine/rope.h"
#include "engine/weight_matrix.h"

namespace dbsa {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // y[n][w.rows] = x[n][w.cols] · wᵀ
  virtual void matmul(const float* x, int64_t n, const WeightMatrix& w, float* y) = 0;
  // Products of one input by several matrices (q/k/v; gate/up), each as matmul() computes it; a backend
  // may run them together (the CPU's one pool pass, engine/matmul.h).
  virtual void matmuls(const float* x, int64_t n, std::span<const MatmulTarget> targets) {
    for (const MatmulTarget& t : targets) matmul(x, n, *t.w, t.y);
  }
  // Row-wise RMSNorm times w (y may alias x).
  virtual void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps) = 0;
  // out = silu(gate) * up, element-wise over n values (out may alias gate).
  virtual void swiglu(const float* gate, const float* up, float* out, int64_t n) = 0;
  // Rotates x[n_tokens][n_heads][head_dim] with rows [first_row, first_row+n_tokens) of table.
  virtual void rope(const RopeParams& p, const RopeTable& table, int64_t first_row, float* x,
                    int64_t n_tokens, int32_t n_heads) = 0;
  // Multi-head attention over the layout's KV ranges (see attention.h).
  virtual void attention(const AttentionArgs& args) = 0;
  // Whether attention() reads an F16 KV cache (AttentionArgs::k16/v16; engine/kv_cache.h, KvType).
  virtual bool reads_f16_cache() const { return false; }
  // The device clock of the work this backend issues, for benchmarks; null for host backends, whose
  // time is the host clock's.
  virtual std::unique_ptr<DeviceTimer> device_timer() { return nullptr; }
};

}  // namespace dbsa
