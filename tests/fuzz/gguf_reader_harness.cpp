#include "gguf_reader_harness.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "model/dequantize.h"
#include "model/gguf_file.h"
#include "model/gguf_writer.h"
#include "model/model_hparams.h"

#include "fuzz_finding.h"

namespace dbsa::fuzz {
namespace {

// Touches every value so sanitizers see every byte that the parser stored.
uint64_t walk(const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::STRING:
      return v.as_string().size();
    case GgufValueType::ARRAY: {
      uint64_t h = v.as_array().items.size();
      for (const auto& item : v.as_array().items) {
        require(item.type == v.as_array().elem_type, "an array item differs from the array's element type");
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

void check_parsed(std::span<const std::byte> bytes_in) {
  std::unique_ptr<GgufFile> f;
  try {
    f = GgufFile::from_bytes(bytes_in, "fuzz.gguf");
  } catch (const GgufError&) {
    return;
  }

  volatile uint64_t sink = 0;
  for (const auto& [key, value] : f->metadata()) {
    sink = sink + walk(value) + key.size();
    require(f->find(key) == &value, "find('" + key + "') does not return its metadata entry");
  }

  GgufWriter w;
  for (const auto& [key, value] : f->metadata()) w.set(key, value);
  for (const auto& t : f->tensors()) {
    require(f->find_tensor(t.name) == &t, "find_tensor('" + t.name + "') does not return its tensor");
    const auto info = ggml_type_info(static_cast<uint32_t>(t.type));
    if (info->dequantizable && t.n_elements <= (uint64_t{1} << 22)) {
      const auto x = dequantize_tensor(t);
      for (float v : x) sink = sink + (v == v);
    }
    w.add_tensor(t.name, t.type, t.dims, std::span(t.data, t.n_bytes));
  }
  try {
    const auto hp = read_hparams(*f);
    sink = sink + hp.n_vocab + hp.n_layer;
  } catch (const GgufError&) {
  }

  // Round trip through the writer: the re-read file must carry the same content.
  const auto bytes = w.to_bytes();
  const auto g = GgufFile::from_bytes(bytes, "rewritten.gguf");
  require(g->metadata().size() == f->metadata().size() && g->tensors().size() == f->tensors().size(),
          "the rewritten image has other metadata or tensor counts");
  for (size_t i = 0; i < f->metadata().size(); ++i) {
    require(g->metadata()[i].first == f->metadata()[i].first &&
                same(g->metadata()[i].second, f->metadata()[i].second),
            "metadata entry " + std::to_string(i) + " changed in the round trip");
  }
  for (size_t i = 0; i < f->tensors().size(); ++i) {
    const auto& a = f->tensors()[i];
    const auto& b = g->tensors()[i];
    require(a.name == b.name && a.type == b.type && a.dims == b.dims && a.n_bytes == b.n_bytes &&
                std::memcmp(a.data, b.data, a.n_bytes) == 0,
            "tensor '" + a.name + "' changed in the round trip");
  }
}

}  // namespace

void check_gguf_reader(std::span<const uint8_t> input) {
  run_contract([&] { check_parsed(std::as_bytes(input)); });
}

}  // namespace dbsa::fuzz
