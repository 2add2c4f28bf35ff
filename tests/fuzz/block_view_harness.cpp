#include "block_view_harness.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <string>

#include "cache/cache_error.h"

#include "fuzz_finding.h"

namespace dbsa::fuzz {
namespace {

uint32_t u32_at(std::span<const std::byte> b, std::size_t off) {
  uint32_t v = 0;
  if (b.size() >= off + 4) std::memcpy(&v, b.data() + off, 4);
  return v;
}

int32_t clamp_claim(uint32_t v, int32_t hi) {
  return static_cast<int32_t>(std::clamp<uint32_t>(v, 1, static_cast<uint32_t>(hi)));
}

template <typename F>
bool throws_cache_error(F&& f) {
  try {
    f();
  } catch (const CacheError&) {
    return true;
  }
  return false;
}

void check(std::span<const uint8_t> input) {
  if (input.empty()) return;
  const uint8_t mode = input[0];
  const auto bytes = std::as_bytes(input.subspan(1));
  // The catalog bounds its shape fields (cache_catalog.cpp); a claim outside them never reaches a view.
  KvShape shape{clamp_claim(u32_at(bytes, 20), 4096), clamp_claim(u32_at(bytes, 24), 4096),
                clamp_claim(u32_at(bytes, 28), 65536)};
  auto dtype = u32_at(bytes, 12) == 1 ? KvDtype::Int8 : KvDtype::F16;
  if ((mode & kClaimOtherDtype) != 0) dtype = dtype == KvDtype::F16 ? KvDtype::Int8 : KvDtype::F16;
  const uint32_t index = u32_at(bytes, 16) + ((mode & kClaimOtherIndex) != 0 ? 1 : 0);
  const uint32_t n_tokens = u32_at(bytes, 32) + ((mode & kClaimMoreTokens) != 0 ? 1 : 0);
  std::vector<std::vector<float>> layers;
  try {
    const BlockView view(bytes, shape, dtype, index, n_tokens, "fuzz.kv");
    layers = check_view_reads(view, shape, dtype, index, bytes.size());
  } catch (const CacheError& e) {
    require(std::string_view(e.what()).size() > 0, "a CacheError without a message");
    return;
  }
  if (dtype != KvDtype::F16) return;
  for (const auto& x : layers)
    if (!std::all_of(x.begin(), x.end(), [](float f) { return std::isfinite(f); })) return;
  // Outside the try: re-encoding values that were read must not fail.
  BlockEncoder enc(shape, dtype, index, n_tokens);
  for (int32_t l = 0; l < shape.n_layer; ++l) {
    const auto i = static_cast<std::size_t>(l);
    enc.put_layer(l, layers[2 * i].data(), layers[2 * i + 1].data());
  }
  // Bytes 48..63 are reserved (written as zero, not checked on reading).
  const auto out = enc.bytes();
  require(out.size() == bytes.size() && std::memcmp(out.data(), bytes.data(), 48) == 0 &&
              std::memcmp(out.data() + kBlockHeaderBytes, bytes.data() + kBlockHeaderBytes,
                          out.size() - kBlockHeaderBytes) == 0,
          "an F16 block of finite values does not encode back to its bytes");
}

}  // namespace

bool same_floats(const float* a, const float* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (std::memcmp(a + i, b + i, sizeof(float)) != 0 && !(std::isnan(a[i]) && std::isnan(b[i])))
      return false;
  return true;
}

std::vector<std::vector<float>> check_view_reads(const BlockView& view, const KvShape& shape, KvDtype dtype,
                                                 uint32_t block_index, std::size_t n_bytes) {
  const uint32_t n = view.n_tokens();
  const std::size_t row = shape.row();
  // Computed without overflow: a view whose data would not fit in its bytes reads outside them.
  std::size_t data = 0;
  const bool overflow = __builtin_mul_overflow(static_cast<std::size_t>(n), row, &data) ||
                        __builtin_mul_overflow(data, (dtype == KvDtype::F16 ? 2u : 1u) * 2u, &data) ||
                        __builtin_mul_overflow(data, static_cast<std::size_t>(shape.n_layer), &data) ||
                        __builtin_add_overflow(data, kBlockHeaderBytes, &data);
  require(!overflow && data <= n_bytes, "block " + std::to_string(block_index) + ": a view of " +
                                            std::to_string(n) + " tokens x " + std::to_string(row) +
                                            " values x " + std::to_string(shape.n_layer) +
                                            " layers over only " + std::to_string(n_bytes) + " bytes");
  const std::size_t per = static_cast<std::size_t>(n) * row;
  const auto hd = static_cast<std::size_t>(shape.head_dim);
  std::vector<std::vector<float>> layers;
  std::vector<float> tile(per);
  for (int32_t l = 0; l < shape.n_layer; ++l) {
    for (const bool is_v : {false, true}) {
      std::vector<float> x(per);
      if (is_v) {
        view.read_v(l, x.data());
      } else {
        view.read_k(l, x.data());
      }
      const std::string at = "block " + std::to_string(block_index) + ", layer " + std::to_string(l) +
                             (is_v ? " V" : " K") + ": ";
      // Without tokens a block is its header alone, whatever its shape: nothing to compare per head.
      for (int32_t h = 0; n > 0 && h < shape.n_head_kv; ++h) {
        view.read_head(l, is_v, h, 0, n, tile.data());
        for (uint32_t t = 0; t < n; ++t)
          require(
              same_floats(tile.data() + t * hd, x.data() + t * row + static_cast<std::size_t>(h) * hd, hd),
              at + "read_head differs from the whole layer");
        const float sc = view.scale(l, h, is_v);
        require(dtype == KvDtype::Int8 || sc == 0.0f, at + "an F16 block has a scale");
      }
      const uint32_t first = n / 3;
      view.read_rows(l, is_v, first, n - first, tile.data());
      require(same_floats(tile.data(), x.data() + first * row, (n - first) * row),
              at + "read_rows differs from the whole layer");
      layers.push_back(std::move(x));
    }
    view.prefetch_rows(l, 0, n);
    view.prefetch_rows(l, n, 1);  // out of range: ignored
  }
  require(throws_cache_error([&] { view.read_rows(shape.n_layer, false, 0, 0, tile.data()); }),
          "read_rows of a layer past the last does not throw");
  require(throws_cache_error([&] { view.read_rows(0, true, n, 1, tile.data()); }),
          "read_rows past the last token does not throw");
  require(throws_cache_error([&] { view.read_head(0, false, shape.n_head_kv, 0, 0, tile.data()); }),
          "read_head of a head past the last does not throw");
  return layers;
}

void check_block_view(std::span<const uint8_t> input) {
  run_contract([&] { check(input); });
}

}  // namespace dbsa::fuzz
