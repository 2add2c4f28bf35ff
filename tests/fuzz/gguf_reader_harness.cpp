// libFuzzer harness: any byte string is either a valid GGUF image or a GgufError. Valid images are also
// walked completely (every value, every tensor dequantized, hyper-parameters read) and written back with
// GgufWriter, which must reproduce the same metadata and tensor bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>

#include "model/dequantize.h"
#include "model/gguf_file.h"
#include "model/gguf_writer.h"
#include "model/model_hparams.h"

namespace {

using dbsa::GgufValue;
using dbsa::GgufValueType;

// Touches every value so sanitizers see every byte that the parser stored.
uint64_t walk(const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::STRING:
      return v.as_string().size();
    case GgufValueType::ARRAY: {
      uint64_t h = v.as_array().items.size();
      for (const auto& item : v.as_array().items) {
        if (item.type != v.as_array().elem_type) __builtin_trap();
        h += walk(item);
      }
      return h;
    }
    case GgufValueType::BOOL:
      return v.as_bool() ? 1 : 0;
    case GgufValueType::FLOAT32:
    case GgufValueType::FLOAT64:
      return static_cast<uint64_t>(v.as_f64() == v.as_f64());
    case GgufValueType::INT8:
    case GgufValueType::INT16:
    case GgufValueType::INT32:
    case GgufValueType::INT64:
      return static_cast<uint64_t>(v.as_i64());
    default:
      return v.as_u64();
  }
}

bool same(const GgufValue& a, const GgufValue& b) {
  if (a.type != b.type || a.v.index() != b.v.index()) return false;
  if (a.type == GgufValueType::ARRAY) {
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    if (x.elem_type != y.elem_type || x.items.size() != y.items.size()) return false;
    for (size_t i = 0; i < x.items.size(); ++i) {
      if (!same(x.items[i], y.items[i])) return false;
    }
    return true;
  }
  if (a.type == GgufValueType::FLOAT32 || a.type == GgufValueType::FLOAT64) {
    const double p = std::get<double>(a.v), q = std::get<double>(b.v);
    return std::memcmp(&p, &q, sizeof p) == 0;
  }
  return a.v == b.v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<dbsa::GgufFile> f;
  try {
    f = dbsa::GgufFile::from_bytes(std::span(reinterpret_cast<const std::byte*>(data), size), "fuzz.gguf");
  } catch (const dbsa::GgufError&) {
    return 0;
  }

  volatile uint64_t sink = 0;
  for (const auto& [key, value] : f->metadata()) {
    sink = sink + walk(value) + key.size();
    if (f->find(key) != &value) __builtin_trap();
  }

  dbsa::GgufWriter w;
  for (const auto& [key, value] : f->metadata()) w.set(key, value);
  for (const auto& t : f->tensors()) {
    if (f->find_tensor(t.name) != &t) __builtin_trap();
    const auto info = dbsa::ggml_type_info(static_cast<uint32_t>(t.type));
    if (info->dequantizable && t.n_elements <= (uint64_t{1} << 22)) {
      const auto x = dbsa::dequantize_tensor(t);
      for (float v : x) sink = sink + (v == v);
    }
    w.add_tensor(t.name, t.type, t.dims, std::span(t.data, t.n_bytes));
  }
  try {
    const auto hp = dbsa::read_hparams(*f);
    sink = sink + hp.n_vocab + hp.n_layer;
  } catch (const dbsa::GgufError&) {
  }

  // Round trip through the writer: the re-read file must carry the same content.
  const auto bytes = w.to_bytes();
  const auto g = dbsa::GgufFile::from_bytes(bytes, "rewritten.gguf");
  if (g->metadata().size() != f->metadata().size() || g->tensors().size() != f->tensors().size())
    __builtin_trap();
  for (size_t i = 0; i < f->metadata().size(); ++i) {
    if (g->metadata()[i].first != f->metadata()[i].first) __builtin_trap();
    if (!same(g->metadata()[i].second, f->metadata()[i].second)) __builtin_trap();
  }
  for (size_t i = 0; i < f->tensors().size(); ++i) {
    const auto& a = f->tensors()[i];
    const auto& b = g->tensors()[i];
    if (a.name != b.name || a.type != b.type || a.dims != b.dims || a.n_bytes != b.n_bytes) __builtin_trap();
    if (std::memcmp(a.data, b.data, a.n_bytes) != 0) __builtin_trap();
  }
  return 0;
}
