#include "cache_folder_harness.h"

#include <cstring>
#include <exception>
#include <optional>
#include <string_view>

#include "cache/block_cache.h"
#include "cache/cache_catalog.h"
#include "cache/cache_error.h"

#include "block_view_harness.h"
#include "fuzz_finding.h"
#include "fuzz_scratch.h"

namespace dbsa::fuzz {
namespace {

bool plain_file_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Writes the input's files into `dir`.
void unpack(std::span<const uint8_t> in, const std::filesystem::path& dir) {
  std::size_t pos = 0;
  while (pos < in.size()) {
    const std::size_t name_len = in[pos++];
    if (in.size() - pos < name_len) return;
    const std::string name(reinterpret_cast<const char*>(in.data()) + pos, name_len);
    pos += name_len;
    uint32_t size = 0;
    const std::size_t have = std::min<std::size_t>(4, in.size() - pos);
    std::memcpy(&size, in.data() + pos, have);
    pos += have;
    const std::size_t n = std::min<std::size_t>(size, in.size() - pos);
    if (plain_file_name(name)) write_scratch_file(dir / name, in.subspan(pos, n));
    pos += n;
  }
}

void check_catalog(const std::filesystem::path& file) {
  const CacheCatalog cat = CacheCatalog::open(file, false);
  const CacheMeta& m = cat.meta();
  require(m.key_digest == m.key.digest(), "meta.key_digest disagrees with the key it was opened with");
  require(m.shape.n_layer > 0 && m.shape.n_head_kv > 0 && m.shape.head_dim > 0,
          "meta has a non-positive shape");
  const auto blocks = cat.read_blocks();
  for (std::size_t i = 0; i < blocks.size(); ++i)
    require(blocks[i].index == static_cast<int32_t>(i), "read_blocks returned block " +
                                                            std::to_string(blocks[i].index) +
                                                            " at position " + std::to_string(i));
  require(cat.block_count() == static_cast<int32_t>(blocks.size()), "block_count disagrees with read_blocks");
}

void check_cache(const std::filesystem::path& dir, VerifyMode mode) {
  const BlockCache c = BlockCache::open(dir, nullptr, mode);
  const KvShape& s = c.shape();
  const auto n = c.n_blocks();
  require(static_cast<std::size_t>(n) == c.blocks().size(), "n_blocks disagrees with blocks()");
  uint64_t kv = 0;
  std::vector<int32_t> readable;
  std::vector<std::vector<std::vector<float>>> reads;
  for (int32_t i = 0; i < n; ++i) {
    const BlockRecord& b = c.block(i);
    require(b.index == i, "block(" + std::to_string(i) + ") has index " + std::to_string(b.index));
    require(!b.file_name.empty() && b.file_name != "." && b.file_name != ".." &&
                b.file_name.find('/') == std::string::npos,
            "block " + std::to_string(i) + " names a file outside the folder: '" + b.file_name + "'");
    kv += b.byte_length;
    std::optional<BlockView> v;
    try {
      v.emplace(c.view(i));
    } catch (const CacheError&) {
      // With every checksum verified at open, a block that fails later was let through.
      require(mode == VerifyMode::Lazy, "block " + std::to_string(i) + " fails after a verified open");
      continue;
    }
    require(v->n_tokens() == static_cast<uint32_t>(b.n_tokens()),
            "a view's token count is not the catalog's");
    reads.push_back(check_view_reads(*v, s, c.meta().key.dtype, static_cast<uint32_t>(i), b.byte_length));
    readable.push_back(i);
  }
  require(kv == c.kv_bytes(), "kv_bytes is not the sum of the blocks' lengths");
  const auto bad = [&](int32_t i) {
    try {
      (void)c.block(i);
    } catch (const CacheError&) {
      return true;
    }
    return false;
  };
  require(bad(-1) && bad(n), "block() out of range does not throw");
  // Each readable block twice, in reverse: assemble must equal the blocks' own reads, in that order.
  std::vector<int32_t> order(readable.rbegin(), readable.rend());
  order.insert(order.end(), readable.rbegin(), readable.rend());
  const auto total = c.total_tokens(order);
  require(c.token_ids(order).size() == static_cast<std::size_t>(total),
          "token_ids disagrees with total_tokens");
  const std::size_t per_layer = static_cast<std::size_t>(total) * s.row();
  std::vector<float> k(per_layer), v(per_layer);
  for (int32_t l = 0; l < s.n_layer && per_layer > 0; ++l) {
    try {
      c.assemble(order, l, k.data(), v.data());
    } catch (const CacheError& e) {
      throw FuzzFinding(std::string("assemble of blocks that read fine throws: ") + e.what());
    }
    std::size_t off = 0;
    for (std::size_t j = 0; j < order.size(); ++j) {
      const auto& r = reads[readable.size() - 1 - (j % readable.size())];
      const auto& rk = r[2 * static_cast<std::size_t>(l)];
      const auto& rv = r[2 * static_cast<std::size_t>(l) + 1];
      require(same_floats(k.data() + off, rk.data(), rk.size()) &&
                  same_floats(v.data() + off, rv.data(), rv.size()),
              "assemble differs from the blocks' reads at layer " + std::to_string(l));
      off += rk.size();
    }
  }
}

void check(std::span<const uint8_t> input) {
  if (input.empty()) return;
  const uint8_t mode = input[0];
  const auto dir = fresh_scratch_dir() / "cache";
  std::filesystem::create_directories(dir);
  unpack(input.subspan(1), dir);
  try {
    check_catalog(dir / kCatalogFileName);
  } catch (const CacheError& e) {
    require(std::string_view(e.what()).size() > 0, "a CacheError without a message");
  }
  try {
    check_cache(dir, (mode & kVerifyLazy) != 0 ? VerifyMode::Lazy : VerifyMode::All);
  } catch (const CacheError& e) {
    require(std::string_view(e.what()).size() > 0, "a CacheError without a message");
  }
}

}  // namespace

std::string cache_folder_input(uint8_t mode, const std::vector<std::pair<std::string, std::string>>& files) {
  std::string s(1, static_cast<char>(mode));
  for (const auto& [name, bytes] : files) {
    s.push_back(static_cast<char>(name.size()));
    s += name;
    const auto size = static_cast<uint32_t>(bytes.size());
    s.append(reinterpret_cast<const char*>(&size), 4);
    s += bytes;
  }
  return s;
}

void check_cache_folder(std::span<const uint8_t> input) {
  run_contract([&] { check(input); });
}

}  // namespace dbsa::fuzz
