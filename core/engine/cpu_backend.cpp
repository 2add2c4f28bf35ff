#include "engine/cpu_backend.h"

#include <algorithm>

#include "engine/matmul.h"
#include "engine/ops.h"

namespace dbsa {

std::string_view cpu_backend_name(AttentionOrder order) {
  return order == AttentionOrder::Reference ? "cpu-reference" : "cpu";
}

std::string_view cpu_backend_summary(AttentionOrder order) {
  return order == AttentionOrder::Reference
             ? "llama.cpp's AVX2 order of operations, its attention order and the vector integer kernels: "
               "its logits bit for bit, for checking agreement (about a third of cpu's prefill speed on a "
               "CPU with AMX, 0.8-0.95x on others; DBSA queries at about half, decode over long contexts at "
               "about 0.7x)"
             : "the fastest on this CPU: quantized products on the AMX tile unit where it has one, attention "
               "streamed in tiles";
}

QuantKernels cpu_backend_kernels(AttentionOrder order) {
  return order == AttentionOrder::Reference ? QuantKernels::Vector : QuantKernels::Fastest;
}

std::optional<AttentionOrder> cpu_backend_order(std::string_view name) {
  for (const AttentionOrder o : kAttentionOrders)
    if (name == cpu_backend_name(o)) return o;
  return std::nullopt;
}

namespace {
// Element-wise work below this size is not worth waking the workers for.
constexpr int64_t kMinParallelElems = 16384;
}  // namespace

void CpuBackend::matmul(const float* x, int64_t n, const WeightMatrix& w, float* y) {
  dbsa::matmul(pool_, x, n, w, y, cpu_backend_kernels(order_));
}

void CpuBackend::matmuls(const float* x, int64_t n, std::span<const MatmulTarget> targets) {
  dbsa::matmuls(pool_, x, n, targets, cpu_backend_kernels(order_));
}

void CpuBackend::rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps) {
  if (n_rows * dim < kMinParallelElems || pool_.size() == 1) return dbsa::rms_norm(x, w, y, n_rows, dim, eps);
  const int64_t per = (n_rows + pool_.size() - 1) / pool_.size();
  pool_.parallel_for(pool_.size(), [&](int64_t t, int) {
    const int64_t r0 = t * per, r1 = std::min(n_rows, r0 + per);
    if (r0 < r1) dbsa::rms_norm(x + r0 * dim, w, y + r0 * dim, r1 - r0, dim, eps);
  });
}

void CpuBackend::swiglu(const float* gate, const float* up, float* out, int64_t n) {
  if (n < kMinParallelElems || pool_.size() == 1) return dbsa::swiglu(gate, up, out, n);
  const int64_t per = (n + pool_.size() - 1) / pool_.size();
  pool_.parallel_for(pool_.size(), [&](int64_t t, int) {
    const int64_t i0 = t * per, i1 = std::min(n, i0 + per);
    if (i0 < i1) dbsa::swiglu(gate + i0, up + i0, out + i0, i1 - i0);
  });
}

void CpuBackend::rope(const RopeParams& p, const RopeTable& table, int64_t first_row, float* x,
                      int64_t n_tokens, int32_t n_heads) {
  if (n_tokens * n_heads * p.head_dim < kMinParallelElems || pool_.size() == 1)
    return rope_apply(p, table, first_row, x, n_tokens, n_heads);
  const int64_t per = (n_tokens + pool_.size() - 1) / pool_.size();
  pool_.parallel_for(pool_.size(), [&](int64_t t, int) {
    const int64_t t0 = t * per, t1 = std::min(n_tokens, t0 + per);
    if (t0 < t1) rope_apply(p, table, first_row + t0, x + t0 * n_heads * p.head_dim, t1 - t0, n_heads);
  });
}

void CpuBackend::attention(const AttentionArgs& args) {
  AttentionArgs a = args;
  a.order = order_;
  dbsa::attention(pool_, a);
}

}  // namespace dbsa
