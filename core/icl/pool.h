#pragma once
// The demonstration pool: a seeded draw from a training split, its fingerprint, and JSONL pool files.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "icl/dataset.h"

namespace dbsa {

struct Pool {
  std::vector<Example> demos;               // in draw order
  std::vector<std::size_t> source_indices;  // row of each demo in the split it was drawn from
  std::uint64_t seed = 0;
};

// n distinct rows of `train`, drawn with SeededRng(seed).partial_shuffle over the row indices 0..size-1
// (see seeded_rng.h): the same seed gives the same pool on every platform. Throws
// std::invalid_argument when n is 0 or larger than the split.
Pool draw_pool(const std::vector<Example>& train, std::size_t n, std::uint64_t seed);

// A stable 64-bit identity of a pool: XXH3-64 over a version tag and, per demo in order, the 8-byte
// little-endian length and bytes of its text, then of its label. Same texts, labels and order <=> same
// fingerprint (up to hash collisions); it keys the KV cache.
std::uint64_t pool_fingerprint(const std::vector<Example>& demos);
std::string fingerprint_hex(std::uint64_t fp);  // 16 lowercase hex digits

// One demonstration per line: {"text": ..., "label": ...} (label = prompt wording). Written through a
// temporary file and renamed, so a reader never sees half a pool.
void save_pool_jsonl(const std::vector<Example>& demos, const std::filesystem::path& file);
// Reads a pool file. `labels` is the known label list (e.g. Dataset::labels): a label outside it is a bad
// row; when it is empty on entry, labels are collected in order of first appearance.
std::vector<Example> load_pool_jsonl(const std::filesystem::path& file, std::vector<std::string>& labels,
                                     const LoadOptions& opts, std::vector<SkippedRow>& skipped);

}  // namespace dbsa
