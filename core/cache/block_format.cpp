#include "cache/block_format.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "cache/cache_error.h"
#include "cache/f16_convert.h"
#include "model/dequantize.h"

namespace dbsa {
namespace {

// Files are little-endian and read with memcpy; a big-endian port would need byte swaps here.
static_assert(std::endian::native == std::endian::little, "block files are read in host byte order");

constexpr char kMagic[8] = {'D', 'B', 'S', 'A', 'K', 'V', 'B', 'L'};

std::size_t elem_bytes(KvDtype dtype) {
  return dtype == KvDtype::F16 ? 2 : 1;
}

std::size_t scales_bytes(const KvShape& s, KvDtype dtype) {
  return dtype == KvDtype::Int8
             ? static_cast<std::size_t>(s.n_layer) * 2 * static_cast<std::size_t>(s.n_head_kv) * 4
             : 0;
}

std::size_t tensor_bytes(const KvShape& s, KvDtype dtype, uint32_t n_tokens) {
  return static_cast<std::size_t>(n_tokens) * s.row() * elem_bytes(dtype);
}

// Offset of layer's K (is_v = false) or V data.
std::size_t data_offset(const KvShape& s, KvDtype dtype, uint32_t n_tokens, int32_t layer, bool is_v) {
  return kBlockHeaderBytes + scales_bytes(s, dtype) +
         (static_cast<std::size_t>(layer) * 2 + (is_v ? 1 : 0)) * tensor_bytes(s, dtype, n_tokens);
}

std::size_t scale_offset(const KvShape& s, int32_t layer, int32_t head, bool is_v) {
  return kBlockHeaderBytes +
         ((static_cast<std::size_t>(layer) * 2 + (is_v ? 1 : 0)) * static_cast<std::size_t>(s.n_head_kv) +
          static_cast<std::size_t>(head)) *
             4;
}

template <typename T>
void put(std::vector<std::byte>& b, std::size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

template <typename T>
T get(std::span<const std::byte> b, std::size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

std::string where(uint32_t block, int32_t layer, bool is_v) {
  return "block " + std::to_string(block) + ", layer " + std::to_string(layer) + ", " + (is_v ? "V" : "K");
}

}  // namespace

std::size_t block_file_bytes(const KvShape& shape, KvDtype dtype, uint32_t n_tokens) {
  // Checked, because the factors come from a catalog and a header: a product that wraps around 2^64
  // would let a short file pass as a huge block, and every read after it go out of bounds.
  std::size_t bytes = 0;
  const auto layers = static_cast<std::size_t>(std::max(shape.n_layer, 0));
  const bool overflow = __builtin_mul_overflow(static_cast<std::size_t>(n_tokens), shape.row(), &bytes) ||
                        __builtin_mul_overflow(bytes, elem_bytes(dtype) * 2, &bytes) ||
                        __builtin_mul_overflow(bytes, layers, &bytes) ||
                        __builtin_add_overflow(bytes, kBlockHeaderBytes + scales_bytes(shape, dtype), &bytes);
  if (overflow) {
    throw CacheError("a block of " + std::to_string(n_tokens) + " tokens x " + std::to_string(shape.n_layer) +
                     " layers x " + std::to_string(shape.n_head_kv) + " KV heads x " +
                     std::to_string(shape.head_dim) + " dims is too large to address");
  }
  return bytes;
}

BlockEncoder::BlockEncoder(const KvShape& shape, KvDtype dtype, uint32_t block_index, uint32_t n_tokens)
    : shape_(shape),
      dtype_(dtype),
      block_index_(block_index),
      n_tokens_(n_tokens),
      have_(static_cast<std::size_t>(std::max(shape.n_layer, 0)), false) {
  if (shape.n_layer <= 0 || shape.n_head_kv <= 0 || shape.head_dim <= 0) {
    throw CacheError("block " + std::to_string(block_index) + ": invalid KV shape (n_layer " +
                     std::to_string(shape.n_layer) + ", n_head_kv " + std::to_string(shape.n_head_kv) +
                     ", head_dim " + std::to_string(shape.head_dim) + "), all must be positive");
  }
  (void)kv_dtype_name(dtype);  // throws for a code outside the enum
  const std::size_t total = block_file_bytes(shape, dtype, n_tokens);
  bytes_.assign(total, std::byte{0});
  std::memcpy(bytes_.data(), kMagic, sizeof kMagic);
  put<uint32_t>(bytes_, 8, kBlockFormatVersion);
  put<uint32_t>(bytes_, 12, static_cast<uint32_t>(dtype));
  put<uint32_t>(bytes_, 16, block_index);
  put<uint32_t>(bytes_, 20, static_cast<uint32_t>(shape.n_layer));
  put<uint32_t>(bytes_, 24, static_cast<uint32_t>(shape.n_head_kv));
  put<uint32_t>(bytes_, 28, static_cast<uint32_t>(shape.head_dim));
  put<uint32_t>(bytes_, 32, n_tokens);
  put<uint32_t>(bytes_, 36, static_cast<uint32_t>(kBlockHeaderBytes));
  put<uint64_t>(bytes_, 40, static_cast<uint64_t>(total));
}

void BlockEncoder::put_layer(int32_t layer, const float* k, const float* v) {
  if (layer < 0 || layer >= shape_.n_layer) {
    throw CacheError("block " + std::to_string(block_index_) + ": layer " + std::to_string(layer) +
                     " out of range [0, " + std::to_string(shape_.n_layer) + ")");
  }
  if (have_[static_cast<std::size_t>(layer)]) {
    throw CacheError("block " + std::to_string(block_index_) + ": layer " + std::to_string(layer) +
                     " given twice");
  }
  encode(layer, false, k);
  encode(layer, true, v);
  have_[static_cast<std::size_t>(layer)] = true;
}

int32_t BlockEncoder::missing_layer() const {
  for (std::size_t i = 0; i < have_.size(); ++i) {
    if (!have_[i]) return static_cast<int32_t>(i);
  }
  return -1;
}

void BlockEncoder::encode(int32_t layer, bool is_v, const float* x) {
  const std::size_t row = shape_.row();
  const auto hd = static_cast<std::size_t>(shape_.head_dim);
  const std::size_t n = static_cast<std::size_t>(n_tokens_) * row;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      throw CacheError(where(block_index_, layer, is_v) + ": non-finite value at token " +
                       std::to_string(i / row) + ", head " + std::to_string((i % row) / hd) + ", dim " +
                       std::to_string(i % hd));
    }
  }
  std::byte* dst = bytes_.data() + data_offset(shape_, dtype_, n_tokens_, layer, is_v);
  if (dtype_ == KvDtype::F16) {
    for (std::size_t i = 0; i < n; ++i) {
      const uint16_t h = f32_to_f16(x[i]);
      if ((h & 0x7c00u) == 0x7c00u) {
        throw CacheError(where(block_index_, layer, is_v) + ": value " + std::to_string(x[i]) + " at token " +
                         std::to_string(i / row) + ", head " + std::to_string((i % row) / hd) + ", dim " +
                         std::to_string(i % hd) + " overflows F16 (max 65504); use the int8 KV dtype");
      }
      std::memcpy(dst + 2 * i, &h, 2);
    }
    return;
  }
  for (int32_t head = 0; head < shape_.n_head_kv; ++head) {
    float amax = 0.0f;
    for (uint32_t t = 0; t < n_tokens_; ++t) {
      const float* p = x + t * row + static_cast<std::size_t>(head) * hd;
      for (std::size_t d = 0; d < hd; ++d) amax = std::max(amax, std::fabs(p[d]));
    }
    const float scale = amax / 127.0f;
    put<float>(bytes_, scale_offset(shape_, layer, head, is_v), scale);
    const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (uint32_t t = 0; t < n_tokens_; ++t) {
      const std::size_t base = t * row + static_cast<std::size_t>(head) * hd;
      for (std::size_t d = 0; d < hd; ++d) {
        // Round half away from zero by truncation (inlined and vectorised, unlike nearbyint's libm
        // call); any round-to-nearest keeps the error within scale / 2.
        const float y = std::clamp(x[base + d] * inv, -127.0f, 127.0f);
        dst[base + d] = static_cast<std::byte>(static_cast<int8_t>(y + std::copysign(0.5f, y)));
      }
    }
  }
}

BlockView::BlockView(std::span<const std::byte> bytes, const KvShape& shape, KvDtype dtype,
                     uint32_t block_index, uint32_t n_tokens, std::string_view file)
    : bytes_(bytes), shape_(shape), dtype_(dtype), n_tokens_(n_tokens) {
  // Built only on failure: views are made for every block of every layer of every query.
  auto at = [&] {
    return "block file '" + std::string(file) + "' (block " + std::to_string(block_index) + ")";
  };
  if (bytes.size() < kBlockHeaderBytes) {
    throw CacheError(at() + ": " + std::to_string(bytes.size()) + " bytes, shorter than the " +
                     std::to_string(kBlockHeaderBytes) + "-byte header");
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw CacheError(at() + ": bad magic at byte offset 0 (expected \"DBSAKVBL\")");
  }
  auto expect = [&](std::size_t off, const char* field, uint64_t got, uint64_t want) {
    if (got != want) {
      throw CacheError(at() + ": " + field + " at byte offset " + std::to_string(off) + " is " +
                       std::to_string(got) + ", expected " + std::to_string(want));
    }
  };
  expect(8, "format version", get<uint32_t>(bytes, 8), kBlockFormatVersion);
  expect(12, "dtype", get<uint32_t>(bytes, 12), static_cast<uint32_t>(dtype));
  expect(16, "block index", get<uint32_t>(bytes, 16), block_index);
  expect(20, "n_layer", get<uint32_t>(bytes, 20), static_cast<uint32_t>(shape.n_layer));
  expect(24, "n_head_kv", get<uint32_t>(bytes, 24), static_cast<uint32_t>(shape.n_head_kv));
  expect(28, "head_dim", get<uint32_t>(bytes, 28), static_cast<uint32_t>(shape.head_dim));
  expect(32, "n_tokens", get<uint32_t>(bytes, 32), n_tokens);
  expect(36, "header bytes", get<uint32_t>(bytes, 36), kBlockHeaderBytes);
  std::size_t want = 0;
  try {
    want = block_file_bytes(shape, dtype, n_tokens);
  } catch (const CacheError& e) {
    throw CacheError(at() + ": " + e.what());
  }
  expect(40, "file bytes", get<uint64_t>(bytes, 40), want);
  expect(40, "actual length", bytes.size(), want);
}

float BlockView::scale(int32_t layer, int32_t head, bool is_v) const {
  if (dtype_ != KvDtype::Int8) return 0.0f;
  return get<float>(bytes_, scale_offset(shape_, layer, head, is_v));
}

namespace {

// n rows of cols int8 values (rows src_stride bytes apart) times scale, into rows out_stride floats apart.
void int8_rows_to_f32(const std::byte* src, std::size_t src_stride, float scale, float* out,
                      std::size_t out_stride, std::size_t n, std::size_t cols) {
  for (std::size_t t = 0; t < n; ++t)
    for (std::size_t d = 0; d < cols; ++d)
      out[t * out_stride + d] = static_cast<float>(static_cast<int8_t>(src[t * src_stride + d])) * scale;
}

}  // namespace

void BlockView::decode(int32_t layer, bool is_v, float* out) const {
  read_rows(layer, is_v, 0, n_tokens_, out);
}

std::size_t BlockView::elem_bytes() const {
  return dtype_ == KvDtype::F16 ? 2 : 1;
}

const std::byte* BlockView::row_at(int32_t layer, bool is_v, uint32_t first) const {
  return bytes_.data() + data_offset(shape_, dtype_, n_tokens_, layer, is_v) +
         static_cast<std::size_t>(first) * shape_.row() * elem_bytes();
}

void BlockView::read_rows(int32_t layer, bool is_v, uint32_t first, uint32_t n, float* out) const {
  if (layer < 0 || layer >= shape_.n_layer || static_cast<uint64_t>(first) + n > n_tokens_) {
    throw CacheError("layer " + std::to_string(layer) + ", tokens [" + std::to_string(first) + ", " +
                     std::to_string(static_cast<uint64_t>(first) + n) + ") outside the block's " +
                     std::to_string(shape_.n_layer) + " layers and " + std::to_string(n_tokens_) + " tokens");
  }
  const std::size_t row = shape_.row();
  const auto hd = static_cast<std::size_t>(shape_.head_dim);
  const std::byte* src = row_at(layer, is_v, first);
  if (dtype_ == KvDtype::F16) {
    f16_to_f32_n(src, out, static_cast<std::size_t>(n) * row);
    return;
  }
  for (int32_t head = 0; head < shape_.n_head_kv; ++head) {
    const std::size_t off = static_cast<std::size_t>(head) * hd;
    int8_rows_to_f32(src + off, row, scale(layer, head, is_v), out + off, row, n, hd);
  }
}

void BlockView::prefetch_rows(int32_t layer, uint32_t first, uint32_t n) const {
  if (layer < 0 || layer >= shape_.n_layer || static_cast<uint64_t>(first) + n > n_tokens_) return;
  const std::size_t row_bytes = shape_.row() * elem_bytes();
  for (const bool is_v : {false, true}) {
    const std::byte* src = row_at(layer, is_v, first);
    // Into L2 (locality 2): the rows are converted only after the current tile's products.
    for (std::size_t off = 0; off < n * row_bytes; off += 64) __builtin_prefetch(src + off, 0, 2);
  }
}

void BlockView::read_head(int32_t layer, bool is_v, int32_t head, uint32_t first, uint32_t n,
                          float* out) const {
  if (layer < 0 || layer >= shape_.n_layer || head < 0 || head >= shape_.n_head_kv ||
      static_cast<uint64_t>(first) + n > n_tokens_) {
    throw CacheError("layer " + std::to_string(layer) + ", head " + std::to_string(head) + ", tokens [" +
                     std::to_string(first) + ", " + std::to_string(static_cast<uint64_t>(first) + n) +
                     ") outside the block's " + std::to_string(shape_.n_layer) + " layers, " +
                     std::to_string(shape_.n_head_kv) + " heads and " + std::to_string(n_tokens_) +
                     " tokens");
  }
  const std::size_t row = shape_.row();
  const auto hd = static_cast<std::size_t>(shape_.head_dim);
  const std::byte* src = row_at(layer, is_v, first) + static_cast<std::size_t>(head) * hd * elem_bytes();
  if (dtype_ == KvDtype::F16) {
    f16_to_f32_rows(src, row, out, n, hd);
    return;
  }
  int8_rows_to_f32(src, row, scale(layer, head, is_v), out, hd, n, hd);
}

}  // namespace dbsa
