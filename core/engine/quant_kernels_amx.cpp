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
#include "engine/simd_kernels.h"
#include "model/dequantize.h"

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
TileConfig make_config(int tokens) {
  TileConfig c;
  for (const int set : {0, 3}) {
    c.rows[set] = 16;
    c.colsb[set] = 32;
    c.rows[set + 1] = 8;
    c.colsb[set + 1] = static_cast<uint16_t>(4 * tokens);
    c.rows[set + 2] = 16;
    c.colsb[set + 2] = static_cast<uint16_t>(4 * tokens);
  }
  return c;
}

// The configuration each thread has loaded (0: none; 1 or 16: tokens per tile).
thread_local int loaded_tokens = 0;
void use_config(int tokens) {
  if (loaded_tokens == tokens) return;
  static const TileConfig one = make_config(1), sixteen = make_config(16);
  const TileConfig& c = tokens == 1 ? one : sixteen;
  __asm__ volatile("ldtilecfg %0" ::"m"(c));
  loaded_tokens = tokens;
}

inline void block_product(const void* a, int64_t a_stride, const void* b, int64_t b_stride, void* c,
                          int64_t c_stride) {
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm0" ::"r"(a), "r"(a_stride) : "memory");
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm1" ::"r"(b), "r"(b_stride) : "memory");
  __asm__ volatile("tilezero %%tmm2" ::);
  __asm__ volatile("tdpbssd %%tmm1, %%tmm0, %%tmm2" ::);
  __asm__ volatile("tilestored %%tmm2, (%0,%1,1)" ::"r"(c), "r"(c_stride) : "memory");
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

constexpr int64_t kTileBytes = 16 * 32;                // a block of 16 weight rows, or of 16 tokens
constexpr int64_t kGroupBlockBytes = kTileBytes + 64;  // a packed block of 16 tokens: bytes, 16 float scales

DBSA_AMX inline __m256i nibbles(const uint8_t* qs) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m4 = _mm_set1_epi8(0xf);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), m4), _mm_and_si128(raw, m4));
}
DBSA_AMX inline __m256i signed_values(const BlockQ8_0& b) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
}
DBSA_AMX inline __m256i signed_values(const BlockQ4_0& b) {
  return _mm256_sub_epi8(nibbles(b.qs), _mm256_set1_epi8(8));
}
DBSA_AMX inline __m256i signed_values(const BlockQ5_0& b) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  return _mm256_sub_epi8(_mm256_or_si256(nibbles(b.qs), _mm256_maskz_mov_epi8(qh, _mm256_set1_epi8(16))),
                         _mm256_set1_epi8(16));
}

// Block b of `rows` weight rows as a 16×32 tile of signed bytes and 16 float scales (zero past `rows`).
template <class Block>
DBSA_AMX void unpack_rows(const std::byte* w, int64_t ws, int rows, int64_t b, int8_t* q, float* dw) {
  for (int r = 0; r < 16; ++r) {
    auto* dst = reinterpret_cast<__m256i*>(q + 32 * r);
    if (r < rows) {
      const Block& blk = reinterpret_cast<const Block*>(w + r * ws)[b];
      _mm256_storeu_si256(dst, signed_values(blk));
      dw[r] = _cvtsh_ss(blk.d);
    } else {
      _mm256_storeu_si256(dst, _mm256_setzero_si256());
      dw[r] = 0.0f;
    }
  }
}

// Many tokens: each group of 16 weight rows is unpacked once into a panel (nb tiles and their scales,
// 16 KB at 1024 columns: it stays in L1/L2), then every packed group of 16 tokens passes over it. A
// block's 16×16 sums leave the tile through memory and are scaled per weight row: acc[r] holds row r
// against the group's 16 tokens.
template <class Block>
DBSA_AMX void gemm_tokens(const std::byte* w, int64_t ws, int n_w, const std::byte* packed, int n_x,
                          int64_t n, float* out, int64_t os) {
  use_config(16);
  const int64_t nb = n / 32;
  const int groups = (n_x + 15) / 16;
  thread_local std::vector<int8_t> panel;
  thread_local std::vector<float> dwp;
  panel.resize(static_cast<size_t>(nb * kTileBytes));
  dwp.resize(static_cast<size_t>(nb * 16));
  alignas(64) int32_t c[16 * 16];
  alignas(64) float o[16 * 16];
  for (int r0 = 0; r0 < n_w; r0 += 16) {
    const int rows = std::min(16, n_w - r0);
    for (int64_t b = 0; b < nb; ++b)
      unpack_rows<Block>(w + r0 * ws, ws, rows, b, panel.data() + b * kTileBytes, dwp.data() + b * 16);
    for (int g = 0; g < groups; ++g) {
      const std::byte* gq = packed + g * nb * kGroupBlockBytes;
      const auto* gd = reinterpret_cast<const float*>(gq + nb * kTileBytes);
      __m512 acc[16];
      for (int r = 0; r < 16; ++r) acc[r] = _mm512_setzero_ps();
      for (int64_t b = 0; b < nb; ++b) {
        block_product(panel.data() + b * kTileBytes, 32, gq + b * kTileBytes, 64, c, 64);
        const __m512 dx = _mm512_loadu_ps(gd + b * 16);
        const float* dw = dwp.data() + b * 16;
        for (int r = 0; r < 16; ++r) {
          const __m512 s = _mm512_cvtepi32_ps(_mm512_load_si512(c + 16 * r));
          acc[r] = _mm512_fmadd_ps(s, _mm512_mul_ps(_mm512_set1_ps(dw[r]), dx), acc[r]);
        }
      }
      for (int r = 0; r < 16; ++r) _mm512_store_ps(o + 16 * r, acc[r]);
      const int tokens = std::min(16, n_x - 16 * g);
      for (int t = 0; t < tokens; ++t)
        for (int r = 0; r < rows; ++r) out[(16 * g + t) * os + r0 + r] = o[16 * r + t];
    }
  }
}

// acc + (block sums of 16 rows)·(their scales · the token's), the one rounding step of this order.
DBSA_AMX inline __m512 add_block(__m512 acc, const int32_t* sums, __m512 dw, const BlockQ8_0& x) {
  const __m512 s = _mm512_cvtepi32_ps(_mm512_load_si512(sums));
  return _mm512_fmadd_ps(s, _mm512_mul_ps(dw, _mm512_set1_ps(_cvtsh_ss(x.d))), acc);
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
DBSA_AMX void gemm_one(const std::byte* w, int64_t ws, int n_w, const BlockQ8_0* x, int64_t n, float* out) {
  use_config(1);
  const int64_t nb = n / 32;
  alignas(64) int8_t q[2][kTileBytes];
  alignas(64) float dw[2][16];
  alignas(64) int32_t c[2][16];
  const __m512i row_offsets =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(static_cast<int32_t>(ws)));
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
        acc = add_block(acc, c[0], gathered_scales(row_offsets, blk), x[b]);
        if (pair) acc = add_block(acc, c[1], gathered_scales(row_offsets, blk + kBlockBytes), x[b + 1]);
      } else {
        unpack_rows<Block>(wr, ws, rows, b, q[0], dw[0]);
        if (pair) {
          unpack_rows<Block>(wr, ws, rows, b + 1, q[1], dw[1]);
          block_products2(q[0], q[1], 32, x[b].qs, x[b + 1].qs, 4, c[0], c[1], 4);
        } else {
          block_product(q[0], 32, x[b].qs, 4, c[0], 4);
        }
        acc = add_block(acc, c[0], _mm512_load_ps(dw[0]), x[b]);
        if (pair) acc = add_block(acc, c[1], _mm512_load_ps(dw[1]), x[b + 1]);
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
  const auto* x = static_cast<const BlockQ8_0*>(xv);
  float acc = 0.0f;
  int8_t q[32];
  for (int64_t b = 0; b < n / 32; ++b) {
    values(w[b], q);
    int32_t s = 0;
    for (int i = 0; i < 32; ++i) s += q[i] * x[b].qs[i];
    acc = std::fma(static_cast<float>(s), f16_to_f32(w[b].d) * f16_to_f32(x[b].d), acc);
  }
  return acc;
}

template <class Block>
void gemm_typed(const void* w, int64_t ws, int n_w, const void* x, int64_t xs, const std::byte* packed,
                int n_x, int64_t n, float* out, int64_t os) {
  const auto* wb = static_cast<const std::byte*>(w);
  if (n_x == 1) return gemm_one<Block>(wb, ws, n_w, static_cast<const BlockQ8_0*>(x), n, out);
  if (packed != nullptr) return gemm_tokens<Block>(wb, ws, n_w, packed, n_x, n, out, os);
  thread_local std::vector<std::byte> own;
  own.resize(static_cast<size_t>(packed_bytes(n_x, n)));
  pack(x, xs, n_x, n, 0, (n_x + 15) / 16, own.data());
  gemm_tokens<Block>(wb, ws, n_w, own.data(), n_x, n, out, os);
}

}  // namespace

bool supported() {
  static const bool yes = simd::has_avx512_vnni() && os_lets_us_use_tiles();
  return yes;
}

bool has_kernel(WeightType t) {
  return t == WeightType::Q8_0 || t == WeightType::Q4_0 || t == WeightType::Q5_0;
}

int64_t packed_bytes(int n_x, int64_t n) {
  return (n_x + 15) / 16 * (n / 32) * kGroupBlockBytes;
}

namespace {
DBSA_AMX void pack_groups(const void* xv, int64_t xs, int n_x, int64_t n, int g0, int g1, std::byte* dst) {
  const int64_t nb = n / 32;
  const auto* x = static_cast<const std::byte*>(xv);
  const __m512i offsets =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(static_cast<int32_t>(xs)));
  for (int g = g0; g < g1; ++g) {
    const int tokens = std::min(16, n_x - 16 * g);
    const __mmask16 valid = static_cast<__mmask16>((1u << tokens) - 1);
    const std::byte* xg = x + 16 * g * xs;
    std::byte* gq = dst + g * nb * kGroupBlockBytes;
    auto* gd = reinterpret_cast<float*>(gq + nb * kTileBytes);
    for (int64_t b = 0; b < nb; ++b) {
      const std::byte* blk = xg + b * static_cast<int64_t>(sizeof(BlockQ8_0));
      for (int k = 0; k < 8; ++k)  // tile row k: values 4k..4k+3 of each token
        _mm512_storeu_si512(
            gq + b * kTileBytes + 64 * k,
            _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, offsets, blk + 2 + 4 * k, 1));
      const __m512i raw = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, offsets, blk, 1);
      _mm512_storeu_ps(gd + b * 16, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(raw)));
    }
  }
}

}  // namespace

void pack(const void* x, int64_t xs, int n_x, int64_t n, int g0, int g1, std::byte* dst) {
  pack_groups(x, xs, n_x, n, g0, g1, dst);
}

void gemm(WeightType t, const void* w, int64_t ws, int n_w, const void* x, int64_t xs,
          const std::byte* packed, int n_x, int64_t n, float* out, int64_t os) {
  if (!supported()) throw std::invalid_argument("amx::gemm: this CPU (or its kernel) gives no AMX tiles");
  if (n_w <= 0 || n_x <= 0) return;
  switch (t) {
    case WeightType::Q8_0:
      return gemm_typed<BlockQ8_0>(w, ws, n_w, x, xs, packed, n_x, n, out, os);
    case WeightType::Q4_0:
      return gemm_typed<BlockQ4_0>(w, ws, n_w, x, xs, packed, n_x, n, out, os);
    case WeightType::Q5_0:
      return gemm_typed<BlockQ5_0>(w, ws, n_w, x, xs, packed, n_x, n, out, os);
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
    default:
      throw std::invalid_argument("amx::portable_dot: no tile kernel for " +
                                  std::string(weight_type_name(t)));
  }
}

}  // namespace dbsa::amx
