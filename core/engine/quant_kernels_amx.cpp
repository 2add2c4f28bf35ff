// Built with -ffp-contract=off like engine/quant_kernels.cpp: every fused multiply-add is written out, so
// the tile kernels and portable_dot() round alike.
#include "engine/quant_kernels_amx.h"

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/quant_blocks.h"
#include "engine/quant_unpack.h"
#include "engine/simd_kernels.h"
#include "model/dequantize.h"
#include "model/k_quant_scales.h"

namespace dbsa::amx {

namespace {

bool os_lets_us_use_tiles() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  constexpr unsigned kAmxTile = 1u << 24, kAmxInt8 = 1u << 25;
  if ((d & kAmxTile) == 0 || (d & kAmxInt8) == 0) return false;
  if (!__get_cpuid(1, &a, &b, &c, &d) || (c & (1u << 27)) == 0) return false;  // OSXSAVE
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  constexpr unsigned kTileState = 3u << 17;  // XTILECFG, XTILEDATA
  if ((lo & kTileState) != kTileState) return false;
  // Linux hands out the 8 KB tile state only to processes that ask (arch_prctl ARCH_REQ_XCOMP_PERM for
  // XFEATURE_XTILEDATA); without it the first tile instruction is a SIGILL.
  constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
}

// ---- the tile registers: tmm0 = weights (A), tmm1 = activations (B), tmm2 = sums (C) ----
// Written as inline assembly with "memory" clobbers: the tile loads read bytes the vector code just
// stored, and the compiler must not move those stores (or the reads of a stored tile) across them.

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// 16 weight rows × 32 bytes, against 8 rows of 4 bytes per token (16 tokens, or one), into 16 × tokens
// int32 sums; tmm3..tmm5 the same, for a second block in flight.
// With 16 tokens, tmm3..tmm5 take 16-value sub-blocks instead (Q6_K): 16 × 16 bytes against 4 rows.
TileConfig make_config(int tokens) {
  TileConfig c;
  for (const int set : {0, 3}) {
    const int k = tokens == 16 && set == 3 ? 16 : 32;
    c.rows[set] = 16;
    c.colsb[set] = static_cast<uint16_t>(k);
    c.rows[set + 1] = static_cast<uint8_t>(k / 4);
    c.colsb[set + 1] = static_cast<uint16_t>(4 * tokens);
    c.rows[set + 2] = 16;
    c.colsb[set + 2] = static_cast<uint16_t>(4 * tokens);
  }
  return c;
}

// Loaded at every kernel call, not cached per thread: other code in the process (a BLAS with AMX
// kernels) may reconfigure or release the tiles between our calls, and a tile instruction after a
// release faults. A call covers at least a 16-row group, so the load is noise.
void use_config(int tokens) {
  static const TileConfig one = make_config(1), sixteen = make_config(16);
  const TileConfig& c = tokens == 1 ? one : sixteen;
  __asm__ volatile("ldtilecfg %0" ::"m"(c));
}

inline void block_product(const void* a, int64_t a_stride, const void* b, int64_t b_stride, void* c,
                          int64_t c_stride) {
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm0" ::"r"(a), "r"(a_stride) : "memory");
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm1" ::"r"(b), "r"(b_stride) : "memory");
  __asm__ volatile("tilezero %%tmm2" ::);
  __asm__ volatile("tdpbssd %%tmm1, %%tmm0, %%tmm2" ::);
  __asm__ volatile("tilestored %%tmm2, (%0,%1,1)" ::"r"(c), "r"(c_stride) : "memory");
}

// A 16-value sub-block of 16 rows against 16 tokens (the 16-token configuration's second set).
inline void block_product16(const void* a, const void* b, void* c) {
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm3" ::"r"(a), "r"(int64_t{16}) : "memory");
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm4" ::"r"(b), "r"(int64_t{64}) : "memory");
  __asm__ volatile("tilezero %%tmm5" ::);
  __asm__ volatile("tdpbssd %%tmm4, %%tmm3, %%tmm5" ::);
  __asm__ volatile("tilestored %%tmm5, (%0,%1,1)" ::"r"(c), "r"(int64_t{64}) : "memory");
}

// Two blocks at once on the two register sets: a block's load, product and store are one dependent
// chain of a few dozen cycles, which one token's block does not fill with other work.
inline void block_products2(const void* a0, const void* a1, int64_t a_stride, const void* b0, const void* b1,
                            int64_t b_stride, void* c0, void* c1, int64_t c_stride) {
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm0" ::"r"(a0), "r"(a_stride) : "memory");
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm1" ::"r"(b0), "r"(b_stride) : "memory");
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm3" ::"r"(a1), "r"(a_stride) : "memory");
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm4" ::"r"(b1), "r"(b_stride) : "memory");
  __asm__ volatile("tilezero %%tmm2" ::);
  __asm__ volatile("tilezero %%tmm5" ::);
  __asm__ volatile("tdpbssd %%tmm1, %%tmm0, %%tmm2" ::);
  __asm__ volatile("tdpbssd %%tmm4, %%tmm3, %%tmm5" ::);
  __asm__ volatile("tilestored %%tmm2, (%0,%1,1)" ::"r"(c0), "r"(c_stride) : "memory");
  __asm__ volatile("tilestored %%tmm5, (%0,%1,1)" ::"r"(c1), "r"(c_stride) : "memory");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define DBSA_AMX __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

// Byte offsets of 16 rows (or tokens) `stride` apart, for gathers.
DBSA_AMX inline __m512i strided_offsets(int64_t stride) {
  return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32(static_cast<int32_t>(stride)));
}

// A 16-row × 16-token result (row r's tokens at o + 16·r) into out[t·os + r], for the rows and tokens
// that exist.
inline void store_group(const float* o, int rows, int tokens, float* out, int64_t os) {
  for (int t = 0; t < tokens; ++t)
    for (int r = 0; r < rows; ++r) out[t * os + r] = o[16 * r + t];
}

// isum[r] += c[r]·sc[r]: a sub-block's tile of sums (row r's 16 tokens at c + 16·r) times its rows'
// scales, exact in int32.
DBSA_AMX inline void add_scaled(__m512i* isum, const int32_t* c, const int32_t* sc) {
  for (int r = 0; r < 16; ++r)
    isum[r] = _mm512_add_epi32(isum[r],
                               _mm512_mullo_epi32(_mm512_load_si512(c + 16 * r), _mm512_set1_epi32(sc[r])));
}

// The one-token vector kernels ask for the row four ahead of row r while they multiply it (the caller
// asked for the first rows of the task).
inline void prefetch_row_ahead(const std::byte* w, int64_t ws, int n_w, int r) {
  if (r + 4 >= n_w) return;
  for (int64_t k = 0; k < ws; k += 64)
    _mm_prefetch(reinterpret_cast<const char*>(w + (r + 4) * ws + k), _MM_HINT_T0);
}

constexpr int64_t kTileBytes = 16 * 32;  // a block of 16 weight rows, or of 16 tokens
// A packed block of 16 tokens: their bytes and 16 float scales; with Q8_1 blocks (Q4_1, Q5_1) also their
// 16 sums s as float.
constexpr int64_t group_block_bytes(bool sums) {
  return kTileBytes + (sums ? 128 : 64);
}

// Block b of `rows` weight rows as a 16×32 tile of bytes (signed; Q4_1's and Q5_1's q unsigned, below
// 32), 16 float scales and, for the formats with a min, 16 float mins (zero past `rows`).
template <class Block>
DBSA_AMX void unpack_rows(const std::byte* w, int64_t ws, int rows, int64_t b, int8_t* q, float* dw,
                          float* mw) {
  for (int r = 0; r < 16; ++r) {
    auto* dst = reinterpret_cast<__m256i*>(q + 32 * r);
    if (r < rows) {
      const Block& blk = reinterpret_cast<const Block*>(w + r * ws)[b];
      _mm256_storeu_si256(dst, values_avx2(blk));
      dw[r] = _cvtsh_ss(blk.d);
      if constexpr (kBlockHasMin<Block>) mw[r] = _cvtsh_ss(blk.m);
    } else {
      _mm256_storeu_si256(dst, _mm256_setzero_si256());
      dw[r] = 0.0f;
      if constexpr (kBlockHasMin<Block>) mw[r] = 0.0f;
    }
  }
}

// The loop of every many-token tile kernel: each group of 16 weight rows unpacked once
// (unpack(rows, count)), then every packed group of 16 tokens multiplied over it (group(tokens, o) writes
// the 16×16 result, weight row r's tokens at o + 16·r) and stored.
template <class Unpack, class Group>
void tile_groups(const std::byte* w, int64_t ws, int n_w, const std::byte* packed, int64_t group_bytes,
                 int n_x, float* out, int64_t os, const Unpack& unpack, const Group& group) {
  use_config(16);
  alignas(64) float o[16 * 16];
  for (int r0 = 0; r0 < n_w; r0 += 16) {
    const int rows = std::min(16, n_w - r0);
    unpack(w + r0 * ws, rows);
    for (int g = 0; g < (n_x + 15) / 16; ++g) {
      group(packed + g * group_bytes, o);
      store_group(o, rows, std::min(16, n_x - 16 * g), out + 16 * g * os + r0, os);
    }
  }
}

// Many tokens: each group of 16 weight rows is unpacked once into a panel (nb tiles and their scales,
// 16 KB at 1024 columns: it stays in L1/L2), then every packed group of 16 tokens passes over it. A
// block's 16×16 sums leave the tile through memory and are scaled per weight row: acc[r] holds row r
// against the group's 16 tokens.
// A packed group of 16 tokens against an unpacked 32-value panel (nb tiles, scales dwp; kMins: mins mwp
// against the tokens' sums, one more FMA per block).
template <bool kMins>
DBSA_AMX void q0_group(const int8_t* panel, const float* dwp, const float* mwp, const std::byte* gq,
                       int64_t nb, float* o) {
  alignas(64) int32_t c[16 * 16];
  const auto* gd = reinterpret_cast<const float*>(gq + nb * kTileBytes);
  const float* gs = gd + nb * 16;
  __m512 acc[16];
  for (int r = 0; r < 16; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    block_product(panel + b * kTileBytes, 32, gq + b * kTileBytes, 64, c, 64);
    const __m512 dx = _mm512_loadu_ps(gd + b * 16);
    const float* dw = dwp + b * 16;
    for (int r = 0; r < 16; ++r) {
      const __m512 s = _mm512_cvtepi32_ps(_mm512_load_si512(c + 16 * r));
      acc[r] = _mm512_fmadd_ps(s, _mm512_mul_ps(_mm512_set1_ps(dw[r]), dx), acc[r]);
      if constexpr (kMins)
        acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(mwp[b * 16 + r]), _mm512_loadu_ps(gs + b * 16), acc[r]);
    }
  }
  for (int r = 0; r < 16; ++r) _mm512_store_ps(o + 16 * r, acc[r]);
}

template <class Block>
void gemm_tokens(const std::byte* w, int64_t ws, int n_w, const std::byte* packed, int n_x, int64_t n,
                 float* out, int64_t os) {
  const int64_t nb = n / 32;
  thread_local std::vector<int8_t> panel;
  thread_local std::vector<float> dwp, mwp;
  panel.resize(static_cast<size_t>(nb * kTileBytes));
  dwp.resize(static_cast<size_t>(nb * 16));
  mwp.resize(static_cast<size_t>(nb * 16));
  tile_groups(
      w, ws, n_w, packed, nb * group_block_bytes(kBlockHasMin<Block>), n_x, out, os,
      [&](const std::byte* rows_w, int rows) {
        for (int64_t b = 0; b < nb; ++b)
          unpack_rows<Block>(rows_w, ws, rows, b, panel.data() + b * kTileBytes, dwp.data() + b * 16,
                             mwp.data() + b * 16);
      },
      [&](const std::byte* gq, float* o) {
        q0_group<kBlockHasMin<Block>>(panel.data(), dwp.data(), mwp.data(), gq, nb, o);
      });
}

// acc + (block sums of 16 rows)·(their scales · the token's), the one rounding step of this order (and
// for the formats with a min a second: + their mins · the token's sum s).
template <class XBlock>
DBSA_AMX inline __m512 add_block(__m512 acc, const int32_t* sums, __m512 dw, const float* mw,
                                 const XBlock& x) {
  const __m512 s = _mm512_cvtepi32_ps(_mm512_load_si512(sums));
  acc = _mm512_fmadd_ps(s, _mm512_mul_ps(dw, _mm512_set1_ps(_cvtsh_ss(x.d))), acc);
  if constexpr (std::is_same_v<XBlock, BlockQ8_1>)
    acc = _mm512_fmadd_ps(_mm512_load_ps(mw), _mm512_set1_ps(_cvtsh_ss(x.s)), acc);
  return acc;
}

// The F16 scales of 16 rows' blocks (row r's at blk + offsets[r]): four bytes from each block's start,
// its scale then two value bytes, which the narrowing drops.
DBSA_AMX inline __m512 gathered_scales(__m512i offsets, const std::byte* blk) {
  return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_i32gather_epi32(offsets, blk, 1)));
}

// One token (decode): the activation row is the B tile as it is (8 rows of 4 bytes), the sums come out
// as one vector over 16 weight rows. Full groups of Q8_0 rows are loaded straight from the mapped file
// (the tile load takes a row stride; their scales are gathered).
template <class Block>
DBSA_AMX void gemm_one(const std::byte* w, int64_t ws, int n_w, const ActivationBlockOf<Block>* x, int64_t n,
                       float* out) {
  use_config(1);
  const int64_t nb = n / 32;
  alignas(64) int8_t q[2][kTileBytes];
  alignas(64) float dw[2][16], mw[2][16];
  alignas(64) int32_t c[2][16];
  const __m512i row_offsets = strided_offsets(ws);
  for (int r0 = 0; r0 < n_w; r0 += 16) {
    const int rows = std::min(16, n_w - r0);
    const std::byte* wr = w + r0 * ws;
    const bool direct = std::is_same_v<Block, BlockQ8_0> && rows == 16;
    // The next group's rows stream in while this one is multiplied, a line of each row per block: the
    // same requests made all at once before a group stall the core on its full fill buffers.
    const int next_rows = std::min(16, n_w - r0 - 16);
    const std::byte* next = wr + 16 * ws;
    __m512 acc = _mm512_setzero_ps();
    constexpr int64_t kBlockBytes = sizeof(Block);
    for (int64_t b = 0; b < nb; b += 2) {
      for (int64_t bb = b; bb < std::min(nb, b + 2); ++bb)
        for (int k = 0; k < next_rows; ++k)
          _mm_prefetch(reinterpret_cast<const char*>(next + k * ws + bb * kBlockBytes), _MM_HINT_T0);
      const bool pair = b + 1 < nb;
      if (direct) {
        const std::byte* blk = wr + b * kBlockBytes;
        if (pair)
          block_products2(blk + 2, blk + kBlockBytes + 2, ws, x[b].qs, x[b + 1].qs, 4, c[0], c[1], 4);
        else
          block_product(blk + 2, ws, x[b].qs, 4, c[0], 4);
        acc = add_block(acc, c[0], gathered_scales(row_offsets, blk), nullptr, x[b]);
        if (pair)
          acc = add_block(acc, c[1], gathered_scales(row_offsets, blk + kBlockBytes), nullptr, x[b + 1]);
      } else {
        unpack_rows<Block>(wr, ws, rows, b, q[0], dw[0], mw[0]);
        if (pair) {
          unpack_rows<Block>(wr, ws, rows, b + 1, q[1], dw[1], mw[1]);
          block_products2(q[0], q[1], 32, x[b].qs, x[b + 1].qs, 4, c[0], c[1], 4);
        } else {
          block_product(q[0], 32, x[b].qs, 4, c[0], 4);
        }
        acc = add_block(acc, c[0], _mm512_load_ps(dw[0]), mw[0], x[b]);
        if (pair) acc = add_block(acc, c[1], _mm512_load_ps(dw[1]), mw[1], x[b + 1]);
      }
    }
    alignas(64) float o[16];
    _mm512_store_ps(o, acc);
    std::copy(o, o + rows, out + r0);
  }
}

template <class Block>
float dot_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const Block*>(wv);
  const auto* x = static_cast<const ActivationBlockOf<Block>*>(xv);
  float acc = 0.0f;
  int8_t q[32];
  for (int64_t b = 0; b < n / 32; ++b) {
    values(w[b], q);
    int32_t s = 0;
    for (int i = 0; i < 32; ++i) s += q[i] * x[b].qs[i];
    acc = std::fma(static_cast<float>(s), f16_to_f32(w[b].d) * f16_to_f32(x[b].d), acc);
    if constexpr (kBlockHasMin<Block>) acc = std::fma(f16_to_f32(w[b].m), f16_to_f32(x[b].s), acc);
  }
  return acc;
}

// The K-quants in the tile order: per super-block the exact integer sums of the values times their
// sub-block scales, and of the mins times the activation sums, each added with one FMA.
template <bool kFifthBit>
float dot_qk_portable(const void* wv, const void* xv, int64_t n) {
  using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
  const auto* w = static_cast<const Block*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / 256; ++b) {
    int32_t isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {
      int32_t sc, m;
      k_quant_scale_min(j, w[b].scales, sc, m);
      const int c = j / 2;
      int32_t s = 0;
      for (int l = 0; l < 32; ++l) {
        const uint8_t byte = w[b].qs[32 * c + l];
        int32_t v = j % 2 == 0 ? byte & 0xf : byte >> 4;
        if constexpr (kFifthBit) v |= ((w[b].qh[l] >> j) & 1) << 4;
        s += v * x[b].qs[32 * j + l];
      }
      isum += sc * s;
      msum += m * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
    }
    const float dx = x[b].d;
    acc = std::fma(static_cast<float>(isum), dx * f16_to_f32(w[b].d), acc);
    acc = std::fma(static_cast<float>(msum), -dx * f16_to_f32(w[b].dmin), acc);
  }
  return acc;
}

// ---- Q4_K / Q5_K: sub-blocks of 32 with six-bit scales and mins, against Q8_K activations ----
// A packed group of 16 tokens per super-block: its 8 sub-blocks as tiles' B operands, then the tokens'
// scales, then the sums of each sub-block's activations (bsums pairs) as float: exact small integers.
constexpr int64_t kQkGroupBytes = 8 * kTileBytes + 64 + 8 * 64;
// Q2_K's (a min per 16 values): then also each of the 16 bsums alone, as float.
constexpr int64_t kQ2kGroupBytes = kQkGroupBytes + 16 * 64;

// One 16-row group of a K-quant matrix, unpacked: per super-block its 8 sub-block tiles (values 0..31),
// scales (int32), mins (float) and the two F16 scales as float.
struct QkPanel {
  std::vector<int8_t> q;
  std::vector<int32_t> sc;
  std::vector<float> m, d, dmin;
  void resize(int64_t nsb) {
    q.resize(static_cast<size_t>(nsb * 8 * kTileBytes));
    sc.resize(static_cast<size_t>(nsb * 8 * 16));
    m.resize(static_cast<size_t>(nsb * 8 * 16));
    d.resize(static_cast<size_t>(nsb * 16));
    dmin.resize(static_cast<size_t>(nsb * 16));
  }
};

template <bool kFifthBit>
DBSA_AMX void unpack_qk_rows(const std::byte* w, int64_t ws, int rows, int64_t nsb, QkPanel& p) {
  using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
  for (int64_t b = 0; b < nsb; ++b)
    for (int r = 0; r < 16; ++r) {
      int8_t* q = p.q.data() + b * 8 * kTileBytes + 32 * r;
      const int64_t s = b * 8 * 16 + r;
      if (r >= rows) {
        for (int j = 0; j < 8; ++j) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + j * kTileBytes), _mm256_setzero_si256());
          p.sc[static_cast<size_t>(s + 16 * j)] = 0;
          p.m[static_cast<size_t>(s + 16 * j)] = 0.0f;
        }
        p.d[static_cast<size_t>(b * 16 + r)] = p.dmin[static_cast<size_t>(b * 16 + r)] = 0.0f;
        continue;
      }
      const Block& blk = reinterpret_cast<const Block*>(w + r * ws)[b];
      __m256i qh = _mm256_setzero_si256();
      if constexpr (kFifthBit) qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh));
      for (int c = 0; c < 4; ++c) {
        __m256i lo, hi;
        qk_chunk<kFifthBit>(blk, qh, c, lo, hi);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + (2 * c) * kTileBytes), lo);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + (2 * c + 1) * kTileBytes), hi);
      }
      for (int j = 0; j < 8; ++j) {
        int32_t sc, m;
        k_quant_scale_min(j, blk.scales, sc, m);
        p.sc[static_cast<size_t>(s + 16 * j)] = sc;
        p.m[static_cast<size_t>(s + 16 * j)] = static_cast<float>(m);
      }
      p.d[static_cast<size_t>(b * 16 + r)] = _cvtsh_ss(blk.d);
      p.dmin[static_cast<size_t>(b * 16 + r)] = _cvtsh_ss(blk.dmin);
    }
}

// Many tokens: per super-block, the 8 sub-block products of a 16×16 tile leave through memory, each
// multiplied by its rows' scales into exact int32 sums (isum[r]: row r against 16 tokens); the mins'
// part is a float sum of exact small integers; then the two FMAs of the order, into acc kept in memory
// (16 isum registers leave no room for 16 more).
DBSA_AMX void qk_group(const QkPanel& panel, const std::byte* gq, int64_t nsb, float* o) {
  alignas(64) int32_t c[16 * 16];
  for (int i = 0; i < 16 * 16; i += 16) _mm512_store_ps(o + i, _mm512_setzero_ps());
  for (int64_t b = 0; b < nsb; ++b) {
    const std::byte* bq = gq + b * kQkGroupBytes;
    __m512i isum[16];
    for (int r = 0; r < 16; ++r) isum[r] = _mm512_setzero_si512();
    for (int j = 0; j < 8; ++j) {
      block_product(panel.q.data() + (b * 8 + j) * kTileBytes, 32, bq + j * kTileBytes, 64, c, 64);
      add_scaled(isum, c, panel.sc.data() + (b * 8 + j) * 16);
    }
    const __m512 dx = _mm512_loadu_ps(reinterpret_cast<const float*>(bq + 8 * kTileBytes));
    const __m512 ndx = _mm512_xor_ps(dx, _mm512_set1_ps(-0.0f));
    const auto* bsp = reinterpret_cast<const float*>(bq + 8 * kTileBytes + 64);
    const float* m = panel.m.data() + b * 8 * 16;
    const float* d = panel.d.data() + b * 16;
    const float* dmin = panel.dmin.data() + b * 16;
    for (int r = 0; r < 16; ++r) {
      __m512 msum = _mm512_setzero_ps();
      for (int j = 0; j < 8; ++j)
        msum = _mm512_fmadd_ps(_mm512_set1_ps(m[16 * j + r]), _mm512_loadu_ps(bsp + 16 * j), msum);
      __m512 a = _mm512_load_ps(o + 16 * r);
      a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r]), _mm512_mul_ps(dx, _mm512_set1_ps(d[r])), a);
      a = _mm512_fmadd_ps(msum, _mm512_mul_ps(ndx, _mm512_set1_ps(dmin[r])), a);
      _mm512_store_ps(o + 16 * r, a);
    }
  }
}

// ---- IQ4_XS: 8 sub-blocks of 32 signed values (kIq4NlValues) with 6-bit signed scales, no mins ----
// The order: acc = fma(float(Σ_j sc_j·S_j), d_x·d_w, acc) per super-block; activations packed as Q4_K's.
// Many tokens: the panel and group kernel of the sub-block types below (unpack_iq4xs_rows).

DBSA_AMX void gemm_iq4xs_one(const std::byte* w, int64_t ws, int n_w, const BlockQ8_K* x, int64_t n,
                             float* out) {
  const int64_t nsb = n / 256;
  for (int r = 0; r < n_w; ++r) {
    const auto* blk = reinterpret_cast<const BlockIQ4_XS*>(w + r * ws);
    prefetch_row_ahead(w, ws, n_w, r);
    float acc = 0.0f;
    for (int64_t b = 0; b < nsb; ++b) {
      __m256i sum = _mm256_setzero_si256();
      for (int j = 0; j < 8; ++j) {
        const __m256i q = iq4_values_avx2(blk[b].qs + 16 * j);
        const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs + 32 * j));
        const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(y, q));
        const auto ls = static_cast<int16_t>(iq4_xs_scale(j, blk[b].scales_l, blk[b].scales_h));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p16, _mm256_set1_epi16(ls)));
      }
      acc = std::fma(static_cast<float>(hsum_i32(sum)), x[b].d * _cvtsh_ss(blk[b].d), acc);
    }
    out[r] = acc;
  }
}

float dot_iq4_xs_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const BlockIQ4_XS*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float acc = 0.0f;
  int8_t q[32];
  for (int64_t b = 0; b < n / 256; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < 8; ++j) {
      iq4_values(w[b].qs + 16 * j, q);
      const int32_t ls = iq4_xs_scale(j, w[b].scales_l, w[b].scales_h);
      for (int i = 0; i < 32; ++i) isum += ls * q[i] * x[b].qs[32 * j + i];
    }
    acc = std::fma(static_cast<float>(isum), x[b].d * f16_to_f32(w[b].d), acc);
  }
  return acc;
}

// One token: the vector units give each super-block's exact sums (maddubs/madd lanes, added up), then
// the same two FMAs.
template <bool kFifthBit>
DBSA_AMX void gemm_qk_one(const std::byte* w, int64_t ws, int n_w, const BlockQ8_K* x, int64_t n,
                          float* out) {
  using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
  const int64_t nsb = n / 256;
  for (int r = 0; r < n_w; ++r) {
    const auto* blk = reinterpret_cast<const Block*>(w + r * ws);
    prefetch_row_ahead(w, ws, n_w, r);
    float acc = 0.0f;
    for (int64_t b = 0; b < nsb; ++b) {
      int32_t sc[8], m[8];
      for (int j = 0; j < 8; ++j) k_quant_scale_min(j, blk[b].scales, sc[j], m[j]);
      __m256i qh = _mm256_setzero_si256();
      if constexpr (kFifthBit) qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[b].qh));
      __m256i sum = _mm256_setzero_si256();
      for (int c = 0; c < 4; ++c) {
        __m256i lo, hi;
        qk_chunk<kFifthBit>(blk[b], qh, c, lo, hi);
        const __m256i y0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs + 64 * c));
        const __m256i y1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs + 64 * c + 32));
        const __m256i p0 = _mm256_madd_epi16(_mm256_set1_epi16(static_cast<int16_t>(sc[2 * c])),
                                             _mm256_maddubs_epi16(lo, y0));
        const __m256i p1 = _mm256_madd_epi16(_mm256_set1_epi16(static_cast<int16_t>(sc[2 * c + 1])),
                                             _mm256_maddubs_epi16(hi, y1));
        sum = _mm256_add_epi32(sum, _mm256_add_epi32(p0, p1));
      }
      const int32_t isum = hsum_i32(sum);
      int32_t msum = 0;
      for (int j = 0; j < 8; ++j) msum += m[j] * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
      const float dx = x[b].d;
      acc = std::fma(static_cast<float>(isum), dx * _cvtsh_ss(blk[b].d), acc);
      acc = std::fma(static_cast<float>(msum), -dx * _cvtsh_ss(blk[b].dmin), acc);
    }
    out[r] = acc;
  }
}

DBSA_AMX void pack_qk_groups(const void* xv, int64_t xs, int n_x, int64_t n, int g0, int g1, bool bsums16,
                             std::byte* dst) {
  const int64_t group_bytes = bsums16 ? kQ2kGroupBytes : kQkGroupBytes;
  const int64_t nsb = n / 256;
  const auto* x = static_cast<const std::byte*>(xv);
  const __m512i offsets = strided_offsets(xs);
  for (int g = g0; g < g1; ++g) {
    const int tokens = std::min(16, n_x - 16 * g);
    const __mmask16 valid = static_cast<__mmask16>((1u << tokens) - 1);
    const __m512i zero = _mm512_setzero_si512();
    for (int64_t b = 0; b < nsb; ++b) {
      const std::byte* blk = x + 16 * g * xs + b * static_cast<int64_t>(sizeof(BlockQ8_K));
      std::byte* bq = dst + (g * nsb + b) * group_bytes;
      for (int j = 0; j < 8; ++j)
        for (int k = 0; k < 8; ++k)
          _mm512_storeu_si512(bq + j * kTileBytes + 64 * k,
                              _mm512_mask_i32gather_epi32(zero, valid, offsets, blk + 4 + 32 * j + 4 * k, 1));
      _mm512_storeu_ps(bq + 8 * kTileBytes,
                       _mm512_castsi512_ps(_mm512_mask_i32gather_epi32(zero, valid, offsets, blk, 1)));
      for (int j = 0; j < 8; ++j) {  // bsums[2j] + bsums[2j+1], both sign-extended from 16 bits
        const __m512i pair = _mm512_mask_i32gather_epi32(zero, valid, offsets, blk + 4 + 256 + 4 * j, 1);
        const __m512i sum =
            _mm512_add_epi32(_mm512_srai_epi32(_mm512_slli_epi32(pair, 16), 16), _mm512_srai_epi32(pair, 16));
        _mm512_storeu_ps(bq + 8 * kTileBytes + 64 + 64 * j, _mm512_cvtepi32_ps(sum));
        if (!bsums16) continue;
        _mm512_storeu_ps(bq + kQkGroupBytes + 128 * j,
                         _mm512_cvtepi32_ps(_mm512_srai_epi32(_mm512_slli_epi32(pair, 16), 16)));
        _mm512_storeu_ps(bq + kQkGroupBytes + 128 * j + 64, _mm512_cvtepi32_ps(_mm512_srai_epi32(pair, 16)));
      }
    }
  }
}

template <class Block>
void gemm_typed(const std::byte* w, int64_t ws, int n_w, const void* x, const std::byte* packed, int n_x,
                int64_t n, float* out, int64_t os) {
  if (n_x == 1) return gemm_one<Block>(w, ws, n_w, static_cast<const ActivationBlockOf<Block>*>(x), n, out);
  gemm_tokens<Block>(w, ws, n_w, packed, n_x, n, out, os);
}

// ---- Q6_K, Q3_K: 16 sub-blocks of 16 signed values (sub_block_value) with their scales, no mins; the
// panel and group kernel serve IQ4_XS's 8 sub-blocks of 32 too ----
// The order: acc = fma(float(Σ_s sc_s·S_s), d_x·d_w, acc) per super-block. Activations are packed as for
// Q4_K (a 16-value sub-block is half of a 32-value tile operand: 4 of its 8 rows).

struct SubBlockPanel {
  std::vector<int8_t> q;    // per super-block, 4096 bytes: [sub-block 16][row 16][16] (IQ4_XS: [8][16][32])
  std::vector<int32_t> sc;  // per super-block: [sub-block 16][row 16] (IQ4_XS: the first 8)
  std::vector<float> d;     // per super-block: [row 16]
  std::vector<float> m;     // Q2_K: per super-block [sub-block 16][row 16]
  std::vector<float> dmin;  // Q2_K: per super-block [row 16]
  void resize(int64_t nsb) {
    q.resize(static_cast<size_t>(nsb * 16 * 256));
    sc.resize(static_cast<size_t>(nsb * 16 * 16));
    d.resize(static_cast<size_t>(nsb * 16));
    m.resize(static_cast<size_t>(nsb * 16 * 16));
    dmin.resize(static_cast<size_t>(nsb * 16));
  }
};

template <class Block>
DBSA_AMX void unpack_sub_block_rows(const std::byte* w, int64_t ws, int rows, int64_t nsb, SubBlockPanel& p) {
  for (int64_t b = 0; b < nsb; ++b)
    for (int r = 0; r < 16; ++r) {
      int8_t* q = p.q.data() + b * 4096 + 16 * r;
      int32_t* sc = p.sc.data() + b * 256 + r;
      if (r >= rows) {
        for (int s = 0; s < 16; ++s) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 256 * s), _mm_setzero_si128());
          sc[16 * s] = 0;
        }
        p.d[static_cast<size_t>(b * 16 + r)] = 0.0f;
        if constexpr (kSubBlockMins<Block>) {
          for (int s = 0; s < 16; ++s) p.m[static_cast<size_t>(b * 256 + 16 * s + r)] = 0.0f;
          p.dmin[static_cast<size_t>(b * 16 + r)] = 0.0f;
        }
        continue;
      }
      const Block& blk = reinterpret_cast<const Block*>(w + r * ws)[b];
      if constexpr (kSubBlockMins<Block>) {  // Q2_K: the scales' high nibbles
        for (int s = 0; s < 16; ++s)
          p.m[static_cast<size_t>(b * 256 + 16 * s + r)] = static_cast<float>(blk.scales[s] >> 4);
        p.dmin[static_cast<size_t>(b * 16 + r)] = _cvtsh_ss(blk.dmin);
      }
      for (int h = 0; h < 2; ++h) {
        const SubBlockHalf half = sub_block_half(blk, h);
        for (int g = 0; g < 4; ++g) {
          const __m256i v = _mm256_sub_epi8(half.q[g], _mm256_set1_epi8(kSubBlockOffset<Block>));
          const int s = 8 * h + 2 * g;
          _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 256 * s), _mm256_castsi256_si128(v));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 256 * (s + 1)), _mm256_extracti128_si256(v, 1));
        }
      }
      int32_t scales[16];
      sub_block_scales(blk, scales);
      for (int s = 0; s < 16; ++s) sc[16 * s] = scales[s];
      p.d[static_cast<size_t>(b * 16 + r)] = _cvtsh_ss(blk.d);
    }
}

// IQ4_XS's 8 sub-blocks of 32 values, each a whole tile operand: sub-block s at s·kTileBytes of the
// super-block's 4096 bytes.
DBSA_AMX void unpack_iq4xs_rows(const std::byte* w, int64_t ws, int rows, int64_t nsb, SubBlockPanel& p) {
  for (int64_t b = 0; b < nsb; ++b)
    for (int r = 0; r < 16; ++r) {
      const BlockIQ4_XS* blk = r < rows ? &reinterpret_cast<const BlockIQ4_XS*>(w + r * ws)[b] : nullptr;
      for (int s = 0; s < 8; ++s) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p.q.data() + b * 4096 + s * kTileBytes + 32 * r),
                            blk ? iq4_values_avx2(blk->qs + 16 * s) : _mm256_setzero_si256());
        p.sc[static_cast<size_t>(b * 256 + 16 * s + r)] =
            blk ? iq4_xs_scale(s, blk->scales_l, blk->scales_h) : 0;
      }
      p.d[static_cast<size_t>(b * 16 + r)] = blk ? _cvtsh_ss(blk->d) : 0.0f;
    }
}

// kSubBlocks 16: sub-blocks of 16 values, half a tile operand each (Q6_K, Q3_K); 8: of 32, whole ones
// (IQ4_XS).
// kMins (Q2_K): then the mins' part as Q4_K's, a float sum of exact small integers, one more FMA.
template <int kSubBlocks, bool kMins = false>
DBSA_AMX void sub_block_group(const SubBlockPanel& panel, const std::byte* gq, int64_t nsb, float* o) {
  alignas(64) int32_t c[16 * 16];
  __m512 acc[16];
  for (int r = 0; r < 16; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nsb; ++b) {
    const std::byte* bq = gq + b * (kMins ? kQ2kGroupBytes : kQkGroupBytes);
    __m512i isum[16];
    for (int r = 0; r < 16; ++r) isum[r] = _mm512_setzero_si512();
    for (int s = 0; s < kSubBlocks; ++s) {
      const int8_t* q = panel.q.data() + b * 4096 + s * (4096 / kSubBlocks);
      if constexpr (kSubBlocks == 16)
        block_product16(q, bq + (s / 2) * kTileBytes + (s % 2) * 256, c);
      else
        block_product(q, 32, bq + s * kTileBytes, 64, c, 64);
      add_scaled(isum, c, panel.sc.data() + b * 256 + 16 * s);
    }
    const __m512 dx = _mm512_loadu_ps(reinterpret_cast<const float*>(bq + 8 * kTileBytes));
    const float* d = panel.d.data() + b * 16;
    for (int r = 0; r < 16; ++r)
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r]), _mm512_mul_ps(dx, _mm512_set1_ps(d[r])), acc[r]);
    if constexpr (kMins) {
      const __m512 ndx = _mm512_xor_ps(dx, _mm512_set1_ps(-0.0f));
      const auto* bs = reinterpret_cast<const float*>(bq + kQkGroupBytes);
      const float* m = panel.m.data() + b * 256;
      const float* dmin = panel.dmin.data() + b * 16;
      for (int r = 0; r < 16; ++r) {
        __m512 msum = _mm512_setzero_ps();
        for (int s = 0; s < 16; ++s)
          msum = _mm512_fmadd_ps(_mm512_set1_ps(m[16 * s + r]), _mm512_loadu_ps(bs + 16 * s), msum);
        acc[r] = _mm512_fmadd_ps(msum, _mm512_mul_ps(ndx, _mm512_set1_ps(dmin[r])), acc[r]);
      }
    }
  }
  for (int r = 0; r < 16; ++r) _mm512_store_ps(o + 16 * r, acc[r]);
}

// The many-token K-quant kernels: a per-thread panel of a 16-row group's super-blocks (Unpack), each
// packed group of 16 tokens multiplied over it (Group).
template <class Panel, void (*Unpack)(const std::byte*, int64_t, int, int64_t, Panel&),
          void (*Group)(const Panel&, const std::byte*, int64_t, float*), int64_t kGroupBytes = kQkGroupBytes>
void k_quant_tokens(const std::byte* w, int64_t ws, int n_w, const std::byte* packed, int n_x, int64_t n,
                    float* out, int64_t os) {
  const int64_t nsb = n / 256;
  thread_local Panel panel;
  panel.resize(nsb);
  tile_groups(
      w, ws, n_w, packed, nsb * kGroupBytes, n_x, out, os,
      [&](const std::byte* rows_w, int rows) { Unpack(rows_w, ws, rows, nsb, panel); },
      [&](const std::byte* gq, float* o) { Group(panel, gq, nsb, o); });
}

template <class Block>
DBSA_AMX void gemm_sub_block_one(const std::byte* w, int64_t ws, int n_w, const BlockQ8_K* x, int64_t n,
                                 float* out) {
  const int64_t nsb = n / 256;
  const __m256i offset = _mm256_set1_epi8(kSubBlockOffset<Block>);
  for (int r = 0; r < n_w; ++r) {
    const auto* blk = reinterpret_cast<const Block*>(w + r * ws);
    prefetch_row_ahead(w, ws, n_w, r);
    float acc = 0.0f;
    for (int64_t b = 0; b < nsb; ++b) {
      __m256i sum = _mm256_setzero_si256();
      for (int h = 0; h < 2; ++h) {
        const SubBlockHalf half = sub_block_half(blk[b], h);
        for (int g = 0; g < 4; ++g) {
          // (q - offset)·y as q·y - offset·y: q <= 63 unsigned, so the int16 pair sums cannot saturate.
          const __m256i y = load32(x[b].qs + 128 * h + 32 * g);
          const __m256i p16 =
              _mm256_sub_epi16(_mm256_maddubs_epi16(half.q[g], y), _mm256_maddubs_epi16(offset, y));
          sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p16, half.scales[g]));
        }
      }
      acc = std::fma(static_cast<float>(hsum_i32(sum)), x[b].d * _cvtsh_ss(blk[b].d), acc);
      if constexpr (kSubBlockMins<Block>) {
        int32_t msum = 0;
        for (int s = 0; s < 16; ++s) msum += (blk[b].scales[s] >> 4) * x[b].bsums[s];
        acc = std::fma(static_cast<float>(msum), -x[b].d * _cvtsh_ss(blk[b].dmin), acc);
      }
    }
    out[r] = acc;
  }
}

template <class Block>
float dot_sub_block_portable(const void* wv, const void* xv, int64_t n) {
  const auto* w = static_cast<const Block*>(wv);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / 256; ++b) {
    int32_t isum = 0, sc[16];
    sub_block_scales(w[b], sc);
    for (int i = 0; i < 256; ++i)  // value i: half i/128, group (i%128)/32, lane i%32
      isum += sc[i / 16] * sub_block_value(w[b], i / 128, i % 128 / 32, i % 32) * x[b].qs[i];
    acc = std::fma(static_cast<float>(isum), x[b].d * f16_to_f32(w[b].d), acc);
    if constexpr (kSubBlockMins<Block>) {
      int32_t msum = 0;
      for (int s = 0; s < 16; ++s) msum += (w[b].scales[s] >> 4) * x[b].bsums[s];
      acc = std::fma(static_cast<float>(msum), -x[b].d * f16_to_f32(w[b].dmin), acc);
    }
  }
  return acc;
}

}  // namespace

bool supported() {
  static const bool yes = simd::has_avx512_vnni() && os_lets_us_use_tiles();
  return yes;
}

namespace {
// The 32-value formats with a min: their activations (Q8_1) are packed with their sums.
bool q8_1_sums(WeightType t) {
  return t == WeightType::Q4_1 || t == WeightType::Q5_1;
}
// The K-quants with tile kernels: their activations are packed per super-block (pack_qk_groups).
bool k_quant(WeightType t) {
  return t == WeightType::Q2_K || t == WeightType::Q3_K || t == WeightType::Q4_K || t == WeightType::Q5_K ||
         t == WeightType::Q6_K || t == WeightType::IQ4_XS;
}
}  // namespace

bool has_kernel(WeightType t) {
  return t == WeightType::Q8_0 || t == WeightType::Q4_0 || t == WeightType::Q5_0 || t == WeightType::IQ4_NL ||
         q8_1_sums(t) || k_quant(t);
}

bool same_packing(WeightType a, WeightType b) {
  enum class Packing { Q8_0Blocks, Q8_1Blocks, Q8_KSuperBlocks, Q8_KWithEachSum };
  const auto packing = [](WeightType t) {
    return t == WeightType::Q2_K ? Packing::Q8_KWithEachSum
           : k_quant(t)          ? Packing::Q8_KSuperBlocks
           : q8_1_sums(t)        ? Packing::Q8_1Blocks
                                 : Packing::Q8_0Blocks;
  };
  return packing(a) == packing(b);
}

int64_t packed_bytes(WeightType t, int n_x, int64_t n) {
  const int64_t groups = (n_x + 15) / 16;
  if (k_quant(t)) return groups * (n / 256) * (t == WeightType::Q2_K ? kQ2kGroupBytes : kQkGroupBytes);
  return groups * (n / 32) * group_block_bytes(q8_1_sums(t));
}

namespace {
// Q8_0 blocks, or Q8_1 (sums: their s after d, then the values) whose s go after the scales.
DBSA_AMX void pack_groups(const void* xv, int64_t xs, int n_x, int64_t n, int g0, int g1, bool sums,
                          std::byte* dst) {
  const int64_t nb = n / 32, header = sums ? 4 : 2;
  const auto block = static_cast<int64_t>(sums ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0));
  const auto* x = static_cast<const std::byte*>(xv);
  const __m512i offsets = strided_offsets(xs);
  for (int g = g0; g < g1; ++g) {
    const int tokens = std::min(16, n_x - 16 * g);
    const __mmask16 valid = static_cast<__mmask16>((1u << tokens) - 1);
    const std::byte* xg = x + 16 * g * xs;
    std::byte* gq = dst + g * nb * group_block_bytes(sums);
    auto* gd = reinterpret_cast<float*>(gq + nb * kTileBytes);
    float* gs = gd + nb * 16;
    for (int64_t b = 0; b < nb; ++b) {
      const std::byte* blk = xg + b * block;
      for (int k = 0; k < 8; ++k)  // tile row k: values 4k..4k+3 of each token
        _mm512_storeu_si512(
            gq + b * kTileBytes + 64 * k,
            _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, offsets, blk + header + 4 * k, 1));
      // d in the low half of the first four bytes; Q8_1's s in the high half.
      const __m512i raw = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, offsets, blk, 1);
      _mm512_storeu_ps(gd + b * 16, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(raw)));
      if (sums)
        _mm512_storeu_ps(gs + b * 16, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(raw, 16))));
    }
  }
}

}  // namespace

void pack(WeightType t, const void* x, int64_t xs, int n_x, int64_t n, int g0, int g1, std::byte* dst) {
  if (k_quant(t)) return pack_qk_groups(x, xs, n_x, n, g0, g1, t == WeightType::Q2_K, dst);
  pack_groups(x, xs, n_x, n, g0, g1, q8_1_sums(t), dst);
}

void gemm(WeightType t, const void* w, int64_t ws, int n_w, const void* x, int64_t xs,
          const std::byte* packed, int n_x, int64_t n, float* out, int64_t os) {
  if (!supported()) throw std::invalid_argument("amx::gemm: this CPU (or its kernel) gives no AMX tiles");
  if (n_w <= 0 || n_x <= 0) return;
  if (n_x > 1 && packed == nullptr) {  // callers that did not pack once per product (tests, quant_gemm)
    thread_local std::vector<std::byte> own;
    own.resize(static_cast<size_t>(packed_bytes(t, n_x, n)));
    pack(t, x, xs, n_x, n, 0, (n_x + 15) / 16, own.data());
    packed = own.data();
  }
  const auto* wb = static_cast<const std::byte*>(w);
  const auto* xk = static_cast<const BlockQ8_K*>(x);
  switch (t) {
    case WeightType::Q8_0:
      return gemm_typed<BlockQ8_0>(wb, ws, n_w, x, packed, n_x, n, out, os);
    case WeightType::Q4_0:
      return gemm_typed<BlockQ4_0>(wb, ws, n_w, x, packed, n_x, n, out, os);
    case WeightType::Q5_0:
      return gemm_typed<BlockQ5_0>(wb, ws, n_w, x, packed, n_x, n, out, os);
    case WeightType::IQ4_NL:
      return gemm_typed<BlockIQ4_NL>(wb, ws, n_w, x, packed, n_x, n, out, os);
    case WeightType::Q4_1:
      return gemm_typed<BlockQ4_1>(wb, ws, n_w, x, packed, n_x, n, out, os);
    case WeightType::Q5_1:
      return gemm_typed<BlockQ5_1>(wb, ws, n_w, x, packed, n_x, n, out, os);
    case WeightType::Q4_K:
      if (n_x == 1) return gemm_qk_one<false>(wb, ws, n_w, xk, n, out);
      return k_quant_tokens<QkPanel, unpack_qk_rows<false>, qk_group>(wb, ws, n_w, packed, n_x, n, out, os);
    case WeightType::Q5_K:
      if (n_x == 1) return gemm_qk_one<true>(wb, ws, n_w, xk, n, out);
      return k_quant_tokens<QkPanel, unpack_qk_rows<true>, qk_group>(wb, ws, n_w, packed, n_x, n, out, os);
    case WeightType::Q6_K:
      if (n_x == 1) return gemm_sub_block_one<BlockQ6_K>(wb, ws, n_w, xk, n, out);
      return k_quant_tokens<SubBlockPanel, unpack_sub_block_rows<BlockQ6_K>, sub_block_group<16>>(
          wb, ws, n_w, packed, n_x, n, out, os);
    case WeightType::IQ4_XS:
      if (n_x == 1) return gemm_iq4xs_one(wb, ws, n_w, xk, n, out);
      return k_quant_tokens<SubBlockPanel, unpack_iq4xs_rows, sub_block_group<8>>(wb, ws, n_w, packed, n_x, n,
                                                                                  out, os);
    case WeightType::Q2_K:
      if (n_x == 1) return gemm_sub_block_one<BlockQ2_K>(wb, ws, n_w, xk, n, out);
      return k_quant_tokens<SubBlockPanel, unpack_sub_block_rows<BlockQ2_K>, sub_block_group<16, true>,
                            kQ2kGroupBytes>(wb, ws, n_w, packed, n_x, n, out, os);
    case WeightType::Q3_K:
      if (n_x == 1) return gemm_sub_block_one<BlockQ3_K>(wb, ws, n_w, xk, n, out);
      return k_quant_tokens<SubBlockPanel, unpack_sub_block_rows<BlockQ3_K>, sub_block_group<16>>(
          wb, ws, n_w, packed, n_x, n, out, os);
    default:
      throw std::invalid_argument("amx::gemm: no tile kernel for " + std::string(weight_type_name(t)));
  }
}

#undef DBSA_AMX
#pragma GCC diagnostic pop

float portable_dot(WeightType t, const void* w, const void* x, int64_t n) {
  switch (t) {
    case WeightType::Q8_0:
      return dot_portable<BlockQ8_0>(w, x, n);
    case WeightType::Q4_0:
      return dot_portable<BlockQ4_0>(w, x, n);
    case WeightType::Q5_0:
      return dot_portable<BlockQ5_0>(w, x, n);
    case WeightType::IQ4_NL:
      return dot_portable<BlockIQ4_NL>(w, x, n);
    case WeightType::Q4_1:
      return dot_portable<BlockQ4_1>(w, x, n);
    case WeightType::Q5_1:
      return dot_portable<BlockQ5_1>(w, x, n);
    case WeightType::Q4_K:
      return dot_qk_portable<false>(w, x, n);
    case WeightType::Q5_K:
      return dot_qk_portable<true>(w, x, n);
    case WeightType::Q6_K:
      return dot_sub_block_portable<BlockQ6_K>(w, x, n);
    case WeightType::Q2_K:
      return dot_sub_block_portable<BlockQ2_K>(w, x, n);
    case WeightType::Q3_K:
      return dot_sub_block_portable<BlockQ3_K>(w, x, n);
    case WeightType::IQ4_XS:
      return dot_iq4_xs_portable(w, x, n);
    default:
      throw std::invalid_argument("amx::portable_dot: no tile kernel for " +
                                  std::string(weight_type_name(t)));
  }
}

}  // namespace dbsa::amx
