#pragma once
// The block file format's fuzz contract (core/cache/block_format.h): BlockView over any bytes either
// throws CacheError or is backed by those bytes, and then every read (read_k/read_v, read_head,
// read_rows, scale, prefetch_rows) stays inside them, the per-head and row reads agree with the whole
// layer, out-of-range reads throw CacheError, and F16 blocks of finite values encode back to the same
// bytes with BlockEncoder. Throws FuzzFinding for anything else.
//
// Input: byte 0 holds mode bits, the rest is the block file. What the catalog would claim (shape, dtype,
// block index, token count) is read from the file's own header, clamped to the bounds the catalog
// enforces, so that the fuzzer reaches the reads; the mode bits make a claim disagree instead.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cache/block_format.h"

namespace dbsa::fuzz {

inline constexpr uint8_t kClaimOtherDtype = 1;
inline constexpr uint8_t kClaimMoreTokens = 2;
inline constexpr uint8_t kClaimOtherIndex = 4;

void check_block_view(std::span<const uint8_t> input);

// Bit-equal, or both NaN: the F16C path quiets a signalling NaN that the table path keeps as it is (the
// writer never stores NaN; a damaged block fails its checksum in BlockCache).
bool same_floats(const float* a, const float* b, std::size_t n);

// The checks above on a view already made over `n_bytes` bytes; returns every layer's K then V
// ([2 * n_layer] arrays of n_tokens x n_head_kv x head_dim floats), for the cache-folder harness.
std::vector<std::vector<float>> check_view_reads(const BlockView& view, const KvShape& shape, KvDtype dtype,
                                                 uint32_t block_index, std::size_t n_bytes);

}  // namespace dbsa::fuzz
