#include "icl/pool.h"

#include <cstdio>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include <xxhash.h>
#include <nlohmann/json.hpp>

#include "icl/dataset_loaders.h"
#include "icl/seeded_rng.h"
#include "util/atomic_file.h"

namespace dbsa {

Pool draw_pool(const std::vector<Example>& train, std::size_t n, std::uint64_t seed) {
  if (n == 0 || n > train.size())
    throw std::invalid_argument("pool size " + std::to_string(n) + " must be in [1, " +
                                std::to_string(train.size()) + "] (the size of the training split)");
  std::vector<std::size_t> order(train.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  SeededRng rng(seed);
  rng.partial_shuffle(order, n);
  Pool pool;
  pool.seed = seed;
  pool.source_indices.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n));
  pool.demos.reserve(n);
  for (std::size_t i : pool.source_indices) pool.demos.push_back(train[i]);
  return pool;
}

namespace {

void hash_piece(XXH3_state_t* st, const std::string& s) {
  unsigned char len[8];
  std::uint64_t v = s.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(v >> (8 * i));
  XXH3_64bits_update(st, len, sizeof len);
  XXH3_64bits_update(st, s.data(), s.size());
}

}  // namespace

std::uint64_t pool_fingerprint(const std::vector<Example>& demos) {
  XXH3_state_t* st = XXH3_createState();
  if (!st) throw std::bad_alloc();
  XXH3_64bits_reset(st);
  hash_piece(st, "dbsa-pool-v1");
  for (const auto& d : demos) {
    hash_piece(st, d.text);
    hash_piece(st, d.label);
  }
  const std::uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

std::string fingerprint_hex(std::uint64_t fp) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fp));
  return buf;
}

void save_pool_jsonl(const std::vector<Example>& demos, const std::filesystem::path& file) {
  std::string text;
  for (const auto& d : demos) text += nlohmann::json{{"text", d.text}, {"label", d.label}}.dump() + '\n';
  try {
    write_file_atomic(file, text);
  } catch (const FileError& e) {
    throw DatasetError(file, std::string("cannot write the pool file: ") + e.what());
  }
}

std::vector<Example> load_pool_jsonl(const std::filesystem::path& file, std::vector<std::string>& labels,
                                     const LoadOptions& opts, std::vector<SkippedRow>& skipped) {
  GenericSource src;
  src.file = file;
  src.format = RowFormat::Jsonl;
  src.text_column = "text";
  src.label_column = "label";
  src.underscores_to_spaces = false;  // pool files hold prompt wordings already
  RowErrorSink errors(opts, skipped);
  return load_generic_rows(src, labels, errors);
}

}  // namespace dbsa
