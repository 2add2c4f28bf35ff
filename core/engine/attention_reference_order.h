#pragma once
// Attention over the in-memory KV cache in the reference implementation's order of float operations
// (llama.cpp's CPU backend as built for AVX2, the build the fixtures' reference outputs come from;
// ../shared/fixtures/README.md). Each step rounds where the reference rounds:
// - a score is the dot product of key and query in four 8-lane accumulators stepping 32 values, added
//   pairwise (0+2, 1+3, then the two), the lanes summed as (l0+l4 + l1+l5) + (l2+l6 + l3+l7), the last
//   head_dim % 32 products each rounded and then added (not fused); then multiplied by the scale;
// - the softmax takes the row's max over every visible key, exponentiates 8 keys at a time (groups at
//   KV indices that are multiples of 8, masked keys 0) with the vector exp, sums each group's 8 lanes as
//   (e0+e4 + e2+e6) + (e1+e5 + e3+e7) into a double, and multiplies by float(1/sum);
// - the output sums P·V per value dimension in 8 lanes by KV index mod 8, one FMA chain each, lanes
//   summed as the softmax's groups are; a one-token batch (decode) instead in 32 lanes by KV index mod 32,
//   reduced as the scores are.
// A quantized model rounds this output to 8 bits in the next matmul, where any last-bit difference can
// flip a rounding step and carry on through the layers; in this order the whole forward pass of the
// vector kernels gives the reference's bits (tests/engine/test_reference_fixtures.cpp).
//
// The price against the streamed attention in engine/attention.cpp: a score takes an add for every two
// products (the reference's tree) where BLAS takes none, scores of every visible key are held per item
// (no online softmax), and a KV head's keys are not split across threads. Measured in docs/BENCHMARKS.md
// ("The reference-order attention at register speed").
#include <cstdint>
#include <span>

#include "engine/attention_layout.h"
#include "engine/thread_pool.h"

namespace dbsa {

struct ReferenceOrderHead {
  int64_t d = 0;                      // head dimension
  int64_t rows = 0;                   // query rows
  const float* const* q = nullptr;    // q[r]: the row's d values, rotated, not scaled
  const int64_t* last_key = nullptr;  // last_key[r]: the largest KV index row r may see (non-decreasing)
  const float* k = nullptr;           // key j at k + j*ldk (rotated), value j at v + j*ldv
  const float* v = nullptr;
  int64_t ldk = 0, ldv = 0;
  std::span<const KvRange> ranges;  // the keys the rows see (and causal): sorted, disjoint
  float scale = 1.0f;
  bool single_token = false;    // the batch holds one token: the 32-lane P·V order
  float* const* out = nullptr;  // out[r]: d values; a row that sees no key gets zeros
};

// AVX2+FMA present and whole 8-value vectors per head. The kernel runs 16 lanes where the CPU has
// AVX-512, DBSA_MAX_ISA allows it (engine/quant_kernels.h) and the head is whole 16-value vectors, else 8:
// the same bits either way.
bool reference_order_supported(int64_t head_dim);

// One KV head's rows. Requires reference_order_supported(h.d).
void attention_reference_order(const ReferenceOrderHead& h);

// KV heads of a one-token batch (decode; each head's rows, its GQA group, at most 8, single_token set),
// their work split over the pool: each head's scores by runs of keys, its P·V by lanes (a thread per
// head left threads idle when heads are few: 3 KV heads on 2 threads). The same bits as
// attention_reference_order per head.
void attention_reference_order_decode(ThreadPool& pool, std::span<const ReferenceOrderHead> heads);

}  // namespace dbsa
