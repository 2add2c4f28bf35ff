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

// A matrix's rows as bytes; prefetch_ahead(r) asks for the row about 1 KB ahead of row r where the CPU
// gains by it (simd::prefetch_weight_rows: Intel's, measured on the row kernel of the Q8_0 decode at 576
// columns; not AMD Zen 4's).
struct RowStream {
  const char* data;
  int64_t row_bytes, rows, ahead;
  bool prefetch;
  explicit RowStream(const WeightMatrix& w)
      : data(static_cast<const char*>(w.data)),
        row_bytes(w.row_bytes()),
        rows(w.rows),
        ahead(std::max<int64_t>(1, (1024 + row_bytes - 1) / row_bytes)),
        prefetch(simd::prefetch_weight_rows()) {}
  const char* row(int64_t r) const { return data + r * row_bytes; }
  void prefetch_ahead(int64_t r) const {
    if (!prefetch || r + ahead >= rows) return;
    const char* p = row(r + ahead);
    for (int64_t k = 0; k < row_bytes; k += 64) __builtin_prefetch(p + k);
  }
};

// Tokens of the vector kernels' tiles: a product of at most this many (decode) reads each weight row
// once, from memory.
constexpr int64_t kTokenTile = 4;

// The tasks of a row-split product of n tokens: pieces of the rows cut at multiples of `align` as evenly
// as that allows, a multiple of the pool's threads in number (9 tasks of 64 rows, a 576-row matrix, left
// one of 2 threads idle a ninth of the time) and at least four per thread (the 192 rows of a GQA k/v
// projection in 3 tasks of 64 on 2 threads left one idle a third of the time), handed out in turn.
// - n <= kTokenTile (decode): four pieces per thread, in an order that gives a thread taking every
//   threads-th task four neighbouring pieces, so it streams one stretch of rows front to back, which the
//   hardware prefetchers follow; a thread that falls behind still leaves its last pieces to the others.
//   On an AMD Zen 2, 2 threads, SmolLM decode was 10-15% faster than with tasks of 64 rows in row order,
//   and within a few percent of one fixed stretch per thread (docs/BENCHMARKS.md, "On an AMD Zen 2").
// - more tokens: pieces of about 64 rows at most, in row order (a task's rows stay in L2 while every
//   tile of tokens passes over them).
struct RowTasks {
  int64_t rows = 0, count = 1, align = 1;
  int64_t threads = 1, per_thread = 0;  // per_thread > 0: the decode order above
  // Rows [begin(k), end(k)) of task k.
  int64_t begin(int64_t k) const { return cut(piece(k)); }
  int64_t end(int64_t k) const { return cut(piece(k) + 1); }

 private:
  int64_t piece(int64_t k) const { return per_thread > 0 ? k % threads * per_thread + k / threads : k; }
  int64_t cut(int64_t i) const { return i >= count ? rows : i * rows / count / align * align; }
};
RowTasks row_tasks(const ThreadPool& pool, int64_t rows, int64_t n, int64_t align) {
  RowTasks t;
  t.rows = rows;
  t.align = align;
  t.threads = pool.size();
  const int64_t wanted =
      n <= kTokenTile ? 4 * t.threads
                      : t.threads * std::max<int64_t>(4, (rows + 64 * t.threads - 1) / (64 * t.threads));
  t.count = std::clamp<int64_t>(wanted, 1, (rows + align - 1) / align);
  if (n <= kTokenTile && t.count == wanted) t.per_thread = 4;
  return t;
}

// Few-token products: y[t][r] = dot(r, t) for every weight row r and token t, rows split over the pool
// as row_tasks says.
template <class Dot>
void for_each_row_dot(ThreadPool& pool, int64_t n, const WeightMatrix& w, float* y, const Dot& dot) {
  const int64_t rows = w.rows;
  const RowStream stream(w);
  const RowTasks split = row_tasks(pool, rows, n, 8);
  pool.parallel_for(split.count, [&](int64_t task, int) {
    const int64_t r0 = split.begin(task), r1 = split.end(task);
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

// Activation rows ready for a quantized product: quantized to the weight type's blocks (per thread,
// reused) and, for the AMX tile kernels, packed once per product (groups of 16 tokens split over the
// pool; engine/quant_kernels_amx.h). One token needs no packing.
struct PreparedRows {
  QuantizedRows xq;
  QuantKernels kernels;
  const std::byte* tiles = nullptr;
  bool amx = false;
};
PreparedRows prepare_rows(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w,
                          QuantKernels kernels) {
  PreparedRows p{quantize_rows(pool, x, n, w), kernels, nullptr, kernel_isa(w.type, kernels) == Isa::Amx};
  const int n_x = static_cast<int>(n);
  if (!p.amx || n_x == 1) return p;
  thread_local std::vector<std::byte> packed;
  packed.resize(static_cast<size_t>(amx::packed_bytes(w.type, n_x, w.cols)));
  std::byte* dst = packed.data();
  const auto pack = [&](int64_t g, int) {
    amx::pack(w.type, p.xq.data, p.xq.stride, n_x, w.cols, static_cast<int>(g), static_cast<int>(g) + 1, dst);
  };
  const int groups = (n_x + 15) / 16;
  if (groups == 1)
    pack(0, 0);
  else
    pool.parallel_for(groups, pack);
  p.tiles = dst;
  return p;
}

// Weight rows [r0, r1) of a quantized product against every prepared token. The tile kernels take whole
// 16-row groups (each group's blocks unpacked once for all the tokens); the vector kernels tiles of
// kTile weight rows by kTile tokens, a task's rows (about 64 at most: ~40 KB of Q8_0 blocks at 576 columns)
// staying in L2 while every tile of tokens passes over them.
void quantized_rows(const WeightMatrix& w, const PreparedRows& p, int64_t n, int64_t r0, int64_t r1,
                    float* y) {
  const RowStream stream(w);
  if (p.amx && n == 1) {
    // One call for the task's rows: the kernel asks for each next group while it multiplies this one.
    for (int64_t r = r0; r < std::min(r1, r0 + 16); ++r) stream.prefetch_ahead(r);
    amx::gemm(w.type, stream.row(r0), stream.row_bytes, static_cast<int>(r1 - r0), p.xq.data, p.xq.stride,
              nullptr, 1, w.cols, y + r0, w.rows);
    return;
  }
  if (p.amx) {
    for (int64_t r = r0; r < r1; r += 16) {
      const int rows = static_cast<int>(std::min<int64_t>(16, r1 - r));
      // Each row about 1 KB ahead, as the vector kernels ask: a whole group (16 rows) ahead measured
      // 5% slower in decode, none 15% slower.
      for (int k = 0; k < rows; ++k) stream.prefetch_ahead(r + k);
      amx::gemm(w.type, stream.row(r), stream.row_bytes, rows, p.xq.data, p.xq.stride, p.tiles,
                static_cast<int>(n), w.cols, y + r, w.rows);
    }
    return;
  }
  constexpr int kTile = static_cast<int>(kTokenTile);
  const QuantGemm gemm = quant_gemm(w.type, p.kernels);
  for (int64_t t0 = 0; t0 < n; t0 += kTile) {
    const int m = static_cast<int>(std::min<int64_t>(kTile, n - t0));
    // One call for all the task's rows where no prefetch request goes between their tiles: a call
    // prepares its tokens' scales (engine/quant_kernels.cpp, Q0TilePrep) once for all its rows, which
    // per 4-row call cost the Q5_0 prefill ~10% on an AMD Zen 2 (docs/BENCHMARKS.md, "On an AMD Zen 2").
    if (t0 > 0 || !stream.prefetch) {
      gemm(stream.row(r0), stream.row_bytes, static_cast<int>(r1 - r0), p.xq.data + t0 * p.xq.stride,
           p.xq.stride, m, w.cols, y + t0 * w.rows + r0, w.rows);
      continue;
    }
    for (int64_t r = r0; r < r1; r += kTile) {
      const int rows = static_cast<int>(std::min<int64_t>(kTile, r1 - r));
      for (int k = 0; k < rows; ++k) stream.prefetch_ahead(r + k);
      gemm(stream.row(r), stream.row_bytes, rows, p.xq.data + t0 * p.xq.stride, p.xq.stride, m, w.cols,
           y + t0 * w.rows + r, w.rows);
    }
  }
}

// Quantized products of one input: the rows quantized (and packed) once, then every matrix's row tasks
// in one pass of the pool (tile kernels: tasks of whole 16-row groups).
void matmul_quantized(ThreadPool& pool, const float* x, int64_t n, std::span<const MatmulTarget> targets,
                      QuantKernels kernels) {
  const PreparedRows p = prepare_rows(pool, x, n, *targets.front().w, kernels);
  struct Task {
    const MatmulTarget* target;
    int64_t r0, r1;
  };
  std::vector<Task> tasks;
  for (const MatmulTarget& t : targets) {
    const RowTasks split = row_tasks(pool, t.w->rows, n, p.amx ? 16 : 8);
    for (int64_t i = 0; i < split.count; ++i)
      if (split.begin(i) < split.end(i)) tasks.push_back({&t, split.begin(i), split.end(i)});
  }
  pool.parallel_for(static_cast<int64_t>(tasks.size()), [&](int64_t i, int) {
    const Task& k = tasks[static_cast<size_t>(i)];
    quantized_rows(*k.target->w, p, n, k.r0, k.r1, k.target->y);
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

void matmuls(ThreadPool& pool, const float* x, int64_t n, std::span<const MatmulTarget> targets,
             QuantKernels kernels) {
  if (targets.empty() || n <= 0) return;
  // One pool pass for all of them where they share the activation rows' form: quantized weights of one
  // width whose kernels take the same blocks on the same ISA (on the tile unit: packed alike, so not Q2_K
  // with the other K-quants, engine/quant_kernels_amx.h). Decode gains the most (a layer's q/k/v
  // and gate/up are 5 waits for the pool's threads, then 2); other shapes run one after another.
  const WeightMatrix& first = *targets.front().w;
  bool shared = is_quantized(first.type);
  for (const MatmulTarget& t : targets)
    shared = shared && is_quantized(t.w->type) && t.w->cols == first.cols &&
             activation_blocks(t.w->type) == activation_blocks(first.type) &&
             kernel_isa(t.w->type, kernels) == kernel_isa(first.type, kernels) &&
             (kernel_isa(first.type, kernels) != Isa::Amx || amx::same_packing(t.w->type, first.type));
  if (!shared) {
    for (const MatmulTarget& t : targets) matmul(pool, x, n, *t.w, t.y, kernels);
    return;
  }
  matmul_quantized(pool, x, n, targets, kernels);
}

void blas_use_single_thread() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void matmul(ThreadPool& pool, const float* x, int64_t n, const WeightMatrix& w, float* y,
            QuantKernels kernels) {
  if (n <= 0 || w.rows == 0) return;
  // Quantized activations are the rounding: the kernels take the unrounded rows.
  if (is_quantized(w.type)) {
    const MatmulTarget one{&w, y};
    return matmul_quantized(pool, x, n, std::span(&one, 1), kernels);
  }
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
