#include "engine/matmul.h"

#include <cblas.h>

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "engine/activation_rounding.h"
#include "engine/quant_kernels.h"
#include "engine/simd_kernels.h"

namespace dbsa {

namespace {

// Rows of a 16-bit weight widened per task: ~256 KB of floats keeps the widened slice in L2.
constexpr int64_t kWidenFloats = 64 * 1024;

float dot_row(const WeightMatrix& w, int64_t r, const float* x) {
  switch (w.type) {
    case WeightType::F32:
      return w.exact_sums ? static_cast<float>(simd::dot_f32_f64(w.f32() + r * w.cols, x, w.cols))
                          : simd::dot_f32(w.f32() + r * w.cols, x, w.cols);
    case WeightType::F16:
      return simd::dot_f16(w.u16() + r * w.cols, x, w.cols);
    case WeightType::BF16:
      return simd::dot_bf16(w.u16() + r * w.cols, x, w.cols);
    default:  // quantized rows go through matvec_quantized
      break;
  }
  return 0.0f;
}

// Few-token products: y[t][r] = dot(r, t) for every weight row r and token t, rows split over the pool
// in tasks of 64.
template <class Dot>
void for_each_row_dot(ThreadPool& pool, int64_t n, int64_t rows, float* y, const Dot& dot) {
  constexpr int64_t kRowsPerTask = 64;
  const int64_t n_tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  pool.parallel_for(n_tasks, [&](int64_t task, int) {
    const int64_t r0 = task * kRowsPerTask, r1 = std::min(rows, r0 + kRowsPerTask);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t r = r0; r < r1; ++r) y[t * rows + r] = dot(r, t);
  });
}

void matvec(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y) {
  for_each_row_dot(pool, n, w.rows, y, [&](int64_t r, int64_t t) { return dot_row(w, r, x + t * w.cols); });
}

// Decode with quantized weights: the few activation rows quantized once to the blocks the weight type's
// integer kernel takes, then one dot product per weight row, rows split over the pool.
void matvec_quantized(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y) {
  const ActivationBlocks blocks = activation_blocks(w.type);
  const int64_t xb = activation_row_bytes(blocks, w.cols);
  thread_local std::vector<std::byte> xq;
  xq.resize(static_cast<size_t>(n * xb));
  for (int64_t t = 0; t < n; ++t) quantize_activations(blocks, x + t * w.cols, xq.data() + t * xb, w.cols);
  const QuantDot dot = quant_dot(w.type);
  const std::byte* xs = xq.data();
  for_each_row_dot(pool, n, w.rows, y,
                   [&](int64_t r, int64_t t) { return dot(w.row_data(r), xs + t * xb, w.cols); });
}

void sgemm_slice(const float* x, int64_t n, const float* wrows, int64_t n_rows, int64_t k, float* y,
                 int64_t ldy) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(n_rows),
              static_cast<int>(k), 1.0f, x, static_cast<int>(k), wrows, static_cast<int>(k), 0.0f, y,
              static_cast<int>(ldy));
}

// Batches of an exact_sums matrix (see WeightMatrix): dgemm over per-task slices widened to double (no
// double copy of the whole matrix is kept). Decode goes through matvec's double dot products.
void matmul_exact(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y) {
  blas_use_single_thread();
  const std::vector<double> xd(x, x + n * w.cols);
  const int64_t rows_per_task =
      std::max<int64_t>(16, kWidenFloats / 2 / std::max<int64_t>(1, w.cols)) / 16 * 16;
  const int64_t n_tasks = (w.rows + rows_per_task - 1) / rows_per_task;
  pool.parallel_for(n_tasks, [&](int64_t task, int) {
    thread_local std::vector<double> wd, yd;
    const int64_t r0 = task * rows_per_task, r1 = std::min(w.rows, r0 + rows_per_task), m = r1 - r0;
    wd.assign(w.f32() + r0 * w.cols, w.f32() + r1 * w.cols);
    yd.resize(static_cast<size_t>(n * m));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(m),
                static_cast<int>(w.cols), 1.0, xd.data(), static_cast<int>(w.cols), wd.data(),
                static_cast<int>(w.cols), 0.0, yd.data(), static_cast<int>(m));
    for (int64_t t = 0; t < n; ++t)
      for (int64_t r = 0; r < m; ++r)
        y[t * w.rows + r0 + r] = static_cast<float>(yd[static_cast<size_t>(t * m + r)]);
  });
}

}  // namespace

void blas_use_single_thread() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void blas_set_threads(int n) {
  openblas_set_num_threads(n);
}

void matmul(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y) {
  if (n <= 0 || w.rows == 0) return;
  // Quantized activations are the rounding: the kernels take the unrounded rows.
  if (is_quantized(w.type) && n <= kMatvecMaxTokens) return matvec_quantized(pool, x, n, w, y);
  if (w.act_rounding != ActivationRounding::None) {
    thread_local std::vector<float> rounded;
    rounded.resize(static_cast<size_t>(n * w.cols));
    round_activations(w.act_rounding, x, rounded.data(), n, w.cols);
    x = rounded.data();
  }
  if (w.exact_sums && w.type != WeightType::F32)
    throw std::invalid_argument("matmul: exact sums need F32 weights (" + w.name + ")");
  if (n <= kMatvecMaxTokens) return matvec(pool, x, n, w, y);
  if (w.exact_sums) return matmul_exact(pool, x, n, w, y);
  blas_use_single_thread();
  if (w.type == WeightType::F32) {
    // A few slices per thread (>= 64 rows, still large panels for sgemm) so that a thread the shared
    // machine preempts does not hold up the others: measured ~12% faster than one slice per thread.
    const int64_t n_tasks = std::max<int64_t>(1, std::min<int64_t>(4 * pool.size(), w.rows / 64));
    const int64_t per = ((w.rows + n_tasks - 1) / n_tasks + 15) / 16 * 16;
    pool.parallel_for(n_tasks, [&](int64_t task, int) {
      const int64_t r0 = task * per, r1 = std::min(w.rows, r0 + per);
      if (r0 < r1) sgemm_slice(x, n, w.f32() + r0 * w.cols, r1 - r0, w.cols, y + r0, w.rows);
    });
    return;
  }
  const int64_t rows_per_task = std::max<int64_t>(16, kWidenFloats / std::max<int64_t>(1, w.cols)) / 16 * 16;
  const int64_t n_tasks = (w.rows + rows_per_task - 1) / rows_per_task;
  pool.parallel_for(n_tasks, [&](int64_t task, int) {
    thread_local std::vector<float> widened;
    const int64_t r0 = task * rows_per_task, r1 = std::min(w.rows, r0 + rows_per_task);
    widened.resize(static_cast<size_t>((r1 - r0) * w.cols));
    for (int64_t r = r0; r < r1; ++r) w.row_to_f32(r, widened.data() + (r - r0) * w.cols);
    sgemm_slice(x, n, widened.data(), r1 - r0, w.cols, y + r0, w.rows);
  });
}

}  // namespace dbsa
