#pragma once
// Block-sparse flash attention over KV range lists on the device; CPU twin: dbsa::attention
// (core/engine/attention.h). One CTA computes kFlashQueryTile queries of one head: it walks only the
// KV ranges of its layout tile (clipped causally to its last query), loads keys and values in blocks
// of kFlashKeyBlock to shared memory, rotates pre-RoPE keys there with the caller's cos/sin rows, and
// keeps a running max and sum per query (online softmax), so nothing of size n_queries × n_kv exists.
// When there are too few CTAs to fill the device (decode, short queries over a long assembled
// context) the keys of each tile are split across CTAs that write partial (o, max, sum) triples,
// merged by a second kernel (flash-decoding); the host plan (flash_attention_plan.h) decides.
#include <cuda_runtime.h>

#include <cstdint>

#include "rope.cuh"

namespace dbsa::cuda {

inline constexpr int kFlashQueryTile = 16;
inline constexpr int kFlashKeyBlock = 32;
inline constexpr int kFlashMaxHeadDim = 256;

struct FlashRange {
  int64_t begin = 0, end = 0;
};
struct FlashTile {  // one tile of the AttentionLayout: its ranges are ranges[first_range, +n_ranges)
  int32_t first_range = 0, n_ranges = 0;
};
struct FlashItem {  // one CTA row: queries [q0, q1) of `tile`, keys restricted to [kv_lo, kv_hi)
  int64_t q0 = 0, q1 = 0, kv_lo = 0, kv_hi = 0;
  int32_t tile = 0;
  int32_t part = -1;  // >= 0: write partial slot `part` for the merge kernel; -1: write the output
};
struct FlashGroup {  // the partial slots [first_part, first_part + n_parts) that form queries [q0, q1)
  int64_t q0 = 0, q1 = 0;
  int32_t first_part = 0, n_parts = 0;
};

struct FlashArgs {
  const float* q = nullptr;  // [n_queries][n_head][head_dim], rotated
  const float* k = nullptr;  // key j of KV head h at k + j*kv_stride + h*head_dim
  const float* v = nullptr;
  float* out = nullptr;  // [n_queries][n_head][head_dim]
  int64_t kv_stride = 0;
  int64_t query_kv_offset = 0;
  int32_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float scale = 1.0f;
  // Pre-RoPE keys: row j of key_cos/key_sin ([n_kv][n_rot/2]) rotates key j. Null: keys are rotated.
  const float* key_cos = nullptr;
  const float* key_sin = nullptr;
  RopeShape key_rope;
  // The plan on the device.
  const FlashItem* items = nullptr;
  int32_t n_items = 0;
  const FlashTile* tiles = nullptr;
  const FlashRange* ranges = nullptr;
  const FlashGroup* groups = nullptr;
  int32_t n_groups = 0;
  int32_t n_parts = 0;
  float* part_o = nullptr;   // [n_parts][n_head][kFlashQueryTile][head_dim]
  float* part_ml = nullptr;  // running max then sum: 2 × [n_parts][n_head][kFlashQueryTile]
};

// Throws std::invalid_argument for a head_dim above kFlashMaxHeadDim.
void flash_attention(const FlashArgs& a, cudaStream_t s);

}  // namespace dbsa::cuda
