#include "engine/matmul.h"

#include <cblas.h>

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "engine/activation_rounding.h"
#include "engine/quant_kernels.h"
#include "engine/quant_kernels_amx.h"
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

// A matrix's rows as bytes; prefetch_ahead(r) asks for the row about 1 KB ahead of row r. The weights stream
// from memory once per token; on the shared machines we measure, the hardware prefetcher alone kept one core
// at ~5 GB/s on such a stream and this request doubled it (the row kernel of the Q8_0 decode, 576 columns).
struct RowStream {
  const char* data;
  int64_t row_bytes, rows, ahead;
  explicit RowStream(const WeightMatrix& w)
      : data(static_cast<const char*>(w.data)),
        row_bytes(w.row_bytes()),
        rows(w.rows),
        ahead(std::max<int64_t>(1, (1024 + row_bytes - 1) / row_bytes)) {}
  const char* row(int64_t r) const { return data + r * row_bytes; }
  void prefetch_ahead(int64_t r) const {
    if (r + ahead >= rows) return;
    const char* p = row(r + ahead);
    for (int64_t k = 0; k < row_bytes; k += 64) __builtin_prefetch(p + k);
  }
};

// Rows per task of the row-split products: at most 64, and at least four tasks per thread so that
// small matrices (the 192 rows of a GQA k/v projection) still split evenly: 3 tasks of 64 on 2 threads
// would leave one thread idle a third of the time.
int64_t rows_per_task(const ThreadPool& pool, int64_t rows) {
  const int64_t even = (rows + 4 * pool.size() - 1) / (4 * pool.size());
  return std::clamp<int64_t>((even + 7) / 8 * 8, 8, 64);
}

// Few-token products: y[t][r] = dot(r, t) for every weight row r and token t, rows split over the pool
// in tasks of rows_per_task.
template <class Dot>
void for_each_row_dot(ThreadPool& pool, int64_t n, const WeightMatrix& w, float* y, const Dot& dot) {
  const int64_t rows = w.rows;
  const RowStream stream(w);
  const int64_t per = rows_per_task(pool, rows);
  pool.parallel_for((rows + per - 1) / per, [&](int64_t task, int) {
    const int64_t r0 = task * per, r1 = std::min(rows, r0 + per);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t r = r0; r < r1; ++r) {
        if (t == 0) stream.prefetch_ahead(r);
        y[t * rows + r] = dot(r, t);
      }
  });
}

void matvec(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y) {
  for_each_row_dot(pool, n, w, y, [&](int64_t r, int64_t t) { return dot_row(w, r, x + t * w.cols); });
}

// Activation rows quantized to the blocks the weight type's integer kernel takes (per thread, reused).
struct QuantizedRows {
  const std::byte* data;
  int64_t stride;
};
QuantizedRows quantize_rows(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w) {
  const ActivationBlocks blocks = activation_blocks(w.type);
  const int64_t xb = activation_row_bytes(blocks, w.cols);
  thread_local std::vector<std::byte> xq;
  xq.resize(static_cast<size_t>(n * xb));
  std::byte* out = xq.data();
  if (n <= kMatvecMaxTokens) {
    for (int64_t t = 0; t < n; ++t) quantize_activations(blocks, x + t * w.cols, out + t * xb, w.cols);
  } else {
    pool.parallel_for(
        n, [&](int64_t t, int) { quantize_activations(blocks, x + t * w.cols, out + t * xb, w.cols); });
  }
  return {xq.data(), xb};
}

// The AMX tile kernels: activation rows quantized and packed for the tile unit once per product (groups
// of 16 tokens split over the pool), then tasks of whole 16-row groups; each group's blocks are unpacked
// once for all the tokens (engine/quant_kernels_amx.cpp). One token needs no packing.
void matmul_amx(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y) {
  const QuantizedRows xq = quantize_rows(pool, x, n, w);
  const int n_x = static_cast<int>(n);
  thread_local std::vector<std::byte> packed;
  const std::byte* tiles = nullptr;
  if (n_x > 1) {
    packed.resize(static_cast<size_t>(amx::packed_bytes(n_x, w.cols)));
    const int groups = (n_x + 15) / 16;
    std::byte* dst = packed.data();
    const auto pack = [&](int64_t g, int) {
      amx::pack(xq.data, xq.stride, n_x, w.cols, static_cast<int>(g), static_cast<int>(g) + 1, dst);
    };
    if (groups == 1)
      pack(0, 0);
    else
      pool.parallel_for(groups, pack);
    tiles = packed.data();
  }
  const int64_t per = (rows_per_task(pool, w.rows) + 15) / 16 * 16;
  const RowStream stream(w);
  pool.parallel_for((w.rows + per - 1) / per, [&](int64_t task, int) {
    const int64_t r0 = task * per, r1 = std::min(w.rows, r0 + per);
    for (int64_t r = r0; r < r1; r += 16) {
      const int rows = static_cast<int>(std::min<int64_t>(16, r1 - r));
      // Each row about 1 KB ahead, as the vector kernels ask: a whole group (16 rows) ahead measured
      // 5% slower in decode, none 15% slower.
      for (int k = 0; k < rows; ++k) stream.prefetch_ahead(r + k);
      amx::gemm(w.type, stream.row(r), stream.row_bytes, rows, xq.data, xq.stride, tiles, n_x, w.cols, y + r,
                w.rows);
    }
  });
}

// Quantized weights: the activation rows quantized once, then integer kernels over tiles of kTile
// weight rows by kTile activation rows. A task's weight rows (at most 64: ~40 KB of Q8_0 blocks at 576
// columns) stay in L2 while every tile of tokens passes over them.
void matmul_quantized(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y) {
  if (kernel_isa(w.type) == Isa::Amx) return matmul_amx(pool, x, n, w, y);
  constexpr int kTile = 4;
  const int64_t per = rows_per_task(pool, w.rows);
  const QuantizedRows xq = quantize_rows(pool, x, n, w);
  const QuantGemm gemm = quant_gemm(w.type);
  const RowStream stream(w);
  pool.parallel_for((w.rows + per - 1) / per, [&](int64_t task, int) {
    const int64_t r0 = task * per, r1 = std::min(w.rows, r0 + per);
    for (int64_t t0 = 0; t0 < n; t0 += kTile) {
      const int m = static_cast<int>(std::min<int64_t>(kTile, n - t0));
      for (int64_t r = r0; r < r1; r += kTile) {
        const int rows = static_cast<int>(std::min<int64_t>(kTile, r1 - r));
        if (t0 == 0)
          for (int k = 0; k < rows; ++k) stream.prefetch_ahead(r + k);
        gemm(stream.row(r), stream.row_bytes, rows, xq.data + t0 * xq.stride, xq.stride, m, w.cols,
             y + t0 * w.rows + r, w.rows);
      }
    }
  });
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
  if (is_quantized(w.type)) return matmul_quantized(pool, x, n, w, y);
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
