#include <cmath>
#include <stdexcept>
#include <string>

#include "cuda_check.h"
#include "flash_attention.cuh"

namespace dbsa::cuda {
namespace {

constexpr int kThreads = 128;
// Each query row of the tile is owned by kRowLanes consecutive lanes of one warp, so a row's
// reductions are warp shuffles and its probabilities need only __syncwarp.
constexpr int kRowLanes = kThreads / kFlashQueryTile;
constexpr int kKeysPerLane = kFlashKeyBlock / kRowLanes;
constexpr int kColsPerLane = (kFlashMaxHeadDim + kRowLanes - 1) / kRowLanes;
static_assert(kThreads % kFlashQueryTile == 0 && kFlashKeyBlock % kRowLanes == 0);
static_assert(kRowLanes <= 32 && 32 % kRowLanes == 0, "a row's lanes must sit in one warp");

// Shared rows are padded by one float: with head_dim a multiple of 32, unpadded rows would put the
// same column of the keys a warp reads at once in one bank.
__host__ __device__ inline int padded(int d) {
  return d + 1;
}

size_t smem_bytes(int d) {
  return sizeof(float) * (static_cast<size_t>(kFlashQueryTile + 2 * kFlashKeyBlock) * padded(d) +
                          kFlashQueryTile * kFlashKeyBlock);
}

__device__ inline float row_max(float v) {
  for (int off = kRowLanes / 2; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}
__device__ inline float row_sum(float v) {
  for (int off = kRowLanes / 2; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

__global__ void __launch_bounds__(kThreads) flash_attention_kernel(FlashArgs a) {
  extern __shared__ float smem[];
  const int d = a.head_dim, ld = padded(d);
  float* sq = smem;                       // [tile][ld], pre-scaled queries
  float* sk = sq + kFlashQueryTile * ld;  // [key block][ld]
  float* sv = sk + kFlashKeyBlock * ld;   // [key block][ld]
  float* sp = sv + kFlashKeyBlock * ld;   // [tile][key block] probabilities
  const FlashItem it = a.items[blockIdx.x];
  const int h = blockIdx.y;
  const int hk = h / (a.n_head / a.n_head_kv);
  const int tid = threadIdx.x, row = tid / kRowLanes, lane = tid % kRowLanes;
  const int64_t nq = it.q1 - it.q0;
  const int64_t q_stride = static_cast<int64_t>(a.n_head) * d;

  for (int i = tid; i < kFlashQueryTile * d; i += kThreads) {
    const int r = i / d, c = i % d;
    sq[r * ld + c] = r < nq ? a.q[(it.q0 + r) * q_stride + static_cast<int64_t>(h) * d + c] * a.scale : 0.0f;
  }
  // Fully unrolled loops with in-loop guards (never `break`) keep o[] in registers, not local memory.
  float o[kColsPerLane];
#pragma unroll
  for (int i = 0; i < kColsPerLane; ++i) o[i] = 0.0f;
  float m = -INFINITY, l = 0.0f;
  const bool row_valid = row < nq;
  const int64_t self = a.query_kv_offset + it.q0 + row;  // the row's own key: the causal limit
  const int64_t last_self = a.query_kv_offset + it.q1 - 1;
  const FlashTile tile = a.tiles[it.tile];

  // Loop bounds depend only on the item, so every thread reaches every __syncthreads.
  for (int ri = 0; ri < tile.n_ranges; ++ri) {
    const FlashRange rg = a.ranges[tile.first_range + ri];
    const int64_t begin = max(rg.begin, it.kv_lo);
    const int64_t end = min(min(rg.end, last_self + 1), it.kv_hi);
    for (int64_t kb = begin; kb < end; kb += kFlashKeyBlock) {
      const int nk = static_cast<int>(min(static_cast<int64_t>(kFlashKeyBlock), end - kb));
      __syncthreads();  // the previous block's keys and values are no longer read
      for (int i = tid; i < kFlashKeyBlock * d; i += kThreads) {
        const int j = i / d, c = i % d;
        float kv = 0.0f, vv = 0.0f;
        if (j < nk) {
          const int64_t off = (kb + j) * a.kv_stride + static_cast<int64_t>(hk) * d + c;
          kv = a.k[off];
          vv = a.v[off];
        }
        sk[j * ld + c] = kv;
        sv[j * ld + c] = vv;
      }
      if (a.key_cos) {
        __syncthreads();
        const int half = a.key_rope.n_rot / 2;
        for (int i = tid; i < nk * half; i += kThreads) {
          const int j = i / half, f = i % half;
          const int64_t t = (kb + j) * half + f;
          rope_rotate_pair(a.key_rope, a.key_cos[t], a.key_sin[t], f, sk + j * ld);
        }
      }
      __syncthreads();

      float s[kKeysPerLane];
      float mx = -INFINITY;
#pragma unroll
      for (int u = 0; u < kKeysPerLane; ++u) {
        const int j = lane + u * kRowLanes;
        float dot = -INFINITY;
        if (row_valid && j < nk && kb + j <= self) {
          dot = 0.0f;
          for (int c = 0; c < d; ++c) dot += sq[row * ld + c] * sk[j * ld + c];
        }
        s[u] = dot;
        mx = fmaxf(mx, dot);
      }
      const float m_new = fmaxf(m, row_max(mx));
      float sum = 0.0f;
#pragma unroll
      for (int u = 0; u < kKeysPerLane; ++u) {
        // A row with nothing visible so far keeps m_new = -inf: its probabilities are 0, not NaN.
        const float p = s[u] == -INFINITY ? 0.0f : expf(s[u] - m_new);
        sp[row * kFlashKeyBlock + lane + u * kRowLanes] = p;
        sum += p;
      }
      sum = row_sum(sum);
      // Rescale what was accumulated under the old max (0 on the first visible block: m = -inf).
      const float corr = m == m_new ? 1.0f : expf(m - m_new);
      l = l * corr + sum;
      m = m_new;
      __syncwarp();
#pragma unroll
      for (int i = 0; i < kColsPerLane; ++i) {
        const int c = lane + i * kRowLanes;
        if (c < d) {
          float acc = o[i] * corr;
          for (int j = 0; j < nk; ++j) acc += sp[row * kFlashKeyBlock + j] * sv[j * ld + c];
          o[i] = acc;
        }
      }
    }
  }
  if (!row_valid) return;
  if (it.part >= 0) {
    const int64_t slot = (static_cast<int64_t>(it.part) * a.n_head + h) * kFlashQueryTile + row;
    const int64_t n_slots = static_cast<int64_t>(a.n_parts) * a.n_head * kFlashQueryTile;
#pragma unroll
    for (int i = 0; i < kColsPerLane; ++i)
      if (lane + i * kRowLanes < d) a.part_o[slot * d + lane + i * kRowLanes] = o[i];
    if (lane == 0) {
      a.part_ml[slot] = m;
      a.part_ml[n_slots + slot] = l;
    }
    return;
  }
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;  // a query that sees no key gets zeros
  float* dst = a.out + (it.q0 + row) * q_stride + static_cast<int64_t>(h) * d;
#pragma unroll
  for (int i = 0; i < kColsPerLane; ++i)
    if (lane + i * kRowLanes < d) dst[lane + i * kRowLanes] = o[i] * inv;
}

// Merges the partial slots of each group: rescale every split to the common max, add, normalise.
__global__ void __launch_bounds__(kThreads) flash_merge_kernel(FlashArgs a) {
  const FlashGroup g = a.groups[blockIdx.x];
  const int h = blockIdx.y;
  const int d = a.head_dim;
  const int row = threadIdx.x / kRowLanes, lane = threadIdx.x % kRowLanes;
  if (row >= g.q1 - g.q0) return;
  const int64_t n_slots = static_cast<int64_t>(a.n_parts) * a.n_head * kFlashQueryTile;
  auto slot = [&](int p) {
    return (static_cast<int64_t>(g.first_part + p) * a.n_head + h) * kFlashQueryTile + row;
  };
  float m = -INFINITY;
  for (int p = 0; p < g.n_parts; ++p) m = fmaxf(m, a.part_ml[slot(p)]);
  float* dst = a.out + (g.q0 + row) * static_cast<int64_t>(a.n_head) * d + static_cast<int64_t>(h) * d;
  float l = 0.0f;
  if (m != -INFINITY)
    for (int p = 0; p < g.n_parts; ++p) {
      const float pm = a.part_ml[slot(p)];
      if (pm != -INFINITY) l += expf(pm - m) * a.part_ml[n_slots + slot(p)];
    }
  for (int c = lane; c < d; c += kRowLanes) {
    float acc = 0.0f;
    if (l > 0.0f) {
      for (int p = 0; p < g.n_parts; ++p) {
        const float pm = a.part_ml[slot(p)];
        if (pm != -INFINITY) acc += expf(pm - m) * a.part_o[slot(p) * d + c];
      }
      acc /= l;
    }
    dst[c] = acc;
  }
}

}  // namespace

void flash_attention(const FlashArgs& a, cudaStream_t s) {
  if (a.head_dim <= 0 || a.head_dim > kFlashMaxHeadDim)
    throw std::invalid_argument("flash_attention: head_dim " + std::to_string(a.head_dim) + " outside [1, " +
                                std::to_string(kFlashMaxHeadDim) + "]");
  if (a.n_head_kv <= 0 || a.n_head % a.n_head_kv != 0)
    throw std::invalid_argument("flash_attention: n_head must be a multiple of n_head_kv");
  if (a.n_items == 0) return;
  const size_t smem = smem_bytes(a.head_dim);
  // Above 48 KB (head_dim > 128) dynamic shared memory must be requested explicitly (sm_80+ allow it).
  if (smem > 48 * 1024)
    DBSA_CUDA_CHECK(cudaFuncSetAttribute(flash_attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(smem)));
  const dim3 grid(static_cast<unsigned>(a.n_items), static_cast<unsigned>(a.n_head));
  flash_attention_kernel<<<grid, kThreads, smem, s>>>(a);
  DBSA_CUDA_CHECK_LAUNCH();
  if (a.n_groups > 0) {
    flash_merge_kernel<<<dim3(static_cast<unsigned>(a.n_groups), static_cast<unsigned>(a.n_head)), kThreads,
                         0, s>>>(a);
    DBSA_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace dbsa::cuda
