#include "model/gguf_writer.h"

#include <limits>

#include "util/atomic_file.h"

namespace dbsa {
namespace {

GgufValue make(GgufValueType t, decltype(GgufValue::v) v) {
  GgufValue out;
  out.type = t;
  out.v = std::move(v);
  return out;
}

template <typename T, typename Conv>
GgufValue make_array(GgufValueType elem, const std::vector<T>& items, Conv conv) {
  auto arr = std::make_shared<GgufArray>();
  arr->elem_type = elem;
  arr->items.reserve(items.size());
  for (const auto& x : items) arr->items.push_back(make(elem, conv(x)));
  return make(GgufValueType::ARRAY, std::move(arr));
}

// Appends little-endian encodings to any byte sink with an append(const void*, size_t) member.
template <typename Sink>
class Encoder {
 public:
  explicit Encoder(Sink& s) : s_(s) {}
  template <typename T>
  void put(T v) {
    s_.append(&v, sizeof(T));
    pos_ += sizeof(T);
  }
  void bytes(const void* p, size_t n) {
    s_.append(p, n);
    pos_ += n;
  }
  void str(const std::string& v) {
    put<uint64_t>(v.size());
    bytes(v.data(), v.size());
  }
  void pad_to(uint64_t alignment) {
    static const std::byte zeros[256] = {};
    uint64_t pad = (alignment - pos_ % alignment) % alignment;
    while (pad > 0) {
      const uint64_t n = pad < sizeof(zeros) ? pad : sizeof(zeros);
      bytes(zeros, n);
      pad -= n;
    }
  }
  uint64_t pos() const { return pos_; }

 private:
  Sink& s_;
  uint64_t pos_ = 0;
};

[[noreturn]] void mismatch(const std::string& key, GgufValueType t) {
  throw GgufError("GgufWriter: key '" + key + "': value does not hold a " +
                  std::string(gguf_value_type_name(t)));
}

template <typename Sink>
void put_value(Encoder<Sink>& e, const std::string& key, const GgufValue& v) {
  auto u = [&]() -> uint64_t {
    if (const auto* x = std::get_if<uint64_t>(&v.v)) return *x;
    mismatch(key, v.type);
  };
  auto i = [&]() -> int64_t {
    if (const auto* x = std::get_if<int64_t>(&v.v)) return *x;
    mismatch(key, v.type);
  };
  auto f = [&]() -> double {
    if (const auto* x = std::get_if<double>(&v.v)) return *x;
    mismatch(key, v.type);
  };
  switch (v.type) {
    case GgufValueType::UINT8:
      e.template put<uint8_t>(static_cast<uint8_t>(u()));
      return;
    case GgufValueType::INT8:
      e.template put<int8_t>(static_cast<int8_t>(i()));
      return;
    case GgufValueType::UINT16:
      e.template put<uint16_t>(static_cast<uint16_t>(u()));
      return;
    case GgufValueType::INT16:
      e.template put<int16_t>(static_cast<int16_t>(i()));
      return;
    case GgufValueType::UINT32:
      e.template put<uint32_t>(static_cast<uint32_t>(u()));
      return;
    case GgufValueType::INT32:
      e.template put<int32_t>(static_cast<int32_t>(i()));
      return;
    case GgufValueType::UINT64:
      e.template put<uint64_t>(u());
      return;
    case GgufValueType::INT64:
      e.template put<int64_t>(i());
      return;
    case GgufValueType::FLOAT32:
      e.template put<float>(static_cast<float>(f()));
      return;
    case GgufValueType::FLOAT64:
      e.template put<double>(f());
      return;
    case GgufValueType::BOOL:
      if (!std::holds_alternative<bool>(v.v)) mismatch(key, v.type);
      e.template put<uint8_t>(std::get<bool>(v.v) ? 1 : 0);
      return;
    case GgufValueType::STRING:
      if (!std::holds_alternative<std::string>(v.v)) mismatch(key, v.type);
      e.str(std::get<std::string>(v.v));
      return;
    case GgufValueType::ARRAY: {
      const auto* a = std::get_if<std::shared_ptr<GgufArray>>(&v.v);
      if (a == nullptr || !*a) mismatch(key, v.type);
      e.template put<uint32_t>(static_cast<uint32_t>((*a)->elem_type));
      e.template put<uint64_t>((*a)->items.size());
      for (const auto& item : (*a)->items) {
        if (item.type != (*a)->elem_type) {
          throw GgufError("GgufWriter: key '" + key + "': array of " +
                          std::string(gguf_value_type_name((*a)->elem_type)) + " holds a " +
                          std::string(gguf_value_type_name(item.type)));
        }
        put_value(e, key, item);
      }
      return;
    }
  }
  throw GgufError("GgufWriter: key '" + key + "': unknown value type " +
                  std::to_string(static_cast<uint32_t>(v.type)));
}

struct VectorSink {
  std::vector<std::byte>& out;
  void append(const void* p, size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    out.insert(out.end(), b, b + n);
  }
};

// Buffered writes to a file descriptor; failures carry the path.
// Buffers the encoder's many small appends into large writes of the atomic file.
struct FileSink {
  AtomicFileWriter& file;
  std::vector<std::byte> buf;
  void append(const void* p, size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    buf.insert(buf.end(), b, b + n);
    if (buf.size() >= (size_t{1} << 22)) flush();
  }
  void flush() {
    file.write(buf);
    buf.clear();
  }
};

}  // namespace

void GgufWriter::set(std::string_view key, GgufValue v) {
  if (key.empty()) throw GgufError("GgufWriter: metadata keys must not be empty");
  for (auto& [k, val] : kv_) {
    if (k == key) {
      val = std::move(v);
      return;
    }
  }
  kv_.emplace_back(std::string(key), std::move(v));
}

void GgufWriter::set_u8(std::string_view key, uint8_t v) {
  set(key, make(GgufValueType::UINT8, uint64_t{v}));
}
void GgufWriter::set_i8(std::string_view key, int8_t v) {
  set(key, make(GgufValueType::INT8, int64_t{v}));
}
void GgufWriter::set_u16(std::string_view key, uint16_t v) {
  set(key, make(GgufValueType::UINT16, uint64_t{v}));
}
void GgufWriter::set_i16(std::string_view key, int16_t v) {
  set(key, make(GgufValueType::INT16, int64_t{v}));
}
void GgufWriter::set_u32(std::string_view key, uint32_t v) {
  set(key, make(GgufValueType::UINT32, uint64_t{v}));
}
void GgufWriter::set_i32(std::string_view key, int32_t v) {
  set(key, make(GgufValueType::INT32, int64_t{v}));
}
void GgufWriter::set_u64(std::string_view key, uint64_t v) {
  set(key, make(GgufValueType::UINT64, v));
}
void GgufWriter::set_i64(std::string_view key, int64_t v) {
  set(key, make(GgufValueType::INT64, v));
}
void GgufWriter::set_f32(std::string_view key, float v) {
  set(key, make(GgufValueType::FLOAT32, double{v}));
}
void GgufWriter::set_f64(std::string_view key, double v) {
  set(key, make(GgufValueType::FLOAT64, v));
}
void GgufWriter::set_bool(std::string_view key, bool v) {
  set(key, make(GgufValueType::BOOL, v));
}
void GgufWriter::set_string(std::string_view key, std::string v) {
  set(key, make(GgufValueType::STRING, std::move(v)));
}

void GgufWriter::set_array_string(std::string_view key, const std::vector<std::string>& v) {
  set(key, make_array(GgufValueType::STRING, v, [](const std::string& s) { return s; }));
}
void GgufWriter::set_array_f32(std::string_view key, const std::vector<float>& v) {
  set(key, make_array(GgufValueType::FLOAT32, v, [](float x) { return double{x}; }));
}
void GgufWriter::set_array_i32(std::string_view key, const std::vector<int32_t>& v) {
  set(key, make_array(GgufValueType::INT32, v, [](int32_t x) { return int64_t{x}; }));
}
void GgufWriter::set_array_u32(std::string_view key, const std::vector<uint32_t>& v) {
  set(key, make_array(GgufValueType::UINT32, v, [](uint32_t x) { return uint64_t{x}; }));
}

void GgufWriter::copy_from(const GgufFile& f, std::string_view key) {
  const GgufValue* v = f.find(key);
  if (v == nullptr) throw GgufError(f.path() + ": missing metadata key '" + std::string(key) + "' to copy");
  set(key, *v);
}

size_t GgufWriter::copy_prefix(const GgufFile& f, std::string_view prefix) {
  size_t n = 0;
  for (const auto& [k, v] : f.metadata()) {
    if (k.starts_with(prefix)) {
      set(k, v);
      ++n;
    }
  }
  return n;
}

void GgufWriter::set_alignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > kGgufMaxAlignment) {
    throw GgufError("GgufWriter: alignment must be a power of two <= 2^24, got " + std::to_string(alignment));
  }
  set_u32("general.alignment", alignment);
}

uint64_t GgufWriter::alignment() const {
  for (const auto& [k, v] : kv_) {
    if (k == "general.alignment") {
      const uint64_t a = v.as_u64(k);
      if (a == 0 || (a & (a - 1)) != 0 || a > kGgufMaxAlignment) {
        throw GgufError("GgufWriter: general.alignment must be a power of two <= 2^24, got " +
                        std::to_string(a));
      }
      return a;
    }
  }
  return 32;
}

void GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<uint64_t> dims,
                            std::span<const std::byte> bytes) {
  const std::string ctx = "GgufWriter: tensor '" + name + "': ";
  if (name.empty()) throw GgufError("GgufWriter: tensor names must not be empty");
  for (const auto& t : tensors_) {
    if (t.name == name) throw GgufError(ctx + "added twice");
  }
  const auto info = ggml_type_info(static_cast<uint32_t>(type));
  if (!info) throw GgufError(ctx + "unknown type id " + std::to_string(static_cast<uint32_t>(type)));
  if (dims.empty() || dims.size() > 4)
    throw GgufError(ctx + "expected 1..4 dimensions, got " + std::to_string(dims.size()));
  uint64_t n = 1;
  for (uint64_t d : dims) {
    if (d == 0 || __builtin_mul_overflow(n, d, &n))
      throw GgufError(ctx + "dimensions must be >= 1 and not overflow");
  }
  if (dims[0] % info->block_elems != 0) {
    throw GgufError(ctx + "dimension 0 (" + std::to_string(dims[0]) + ") is not a multiple of the " +
                    std::string(info->name) + " block size");
  }
  const uint64_t expected = n / info->block_elems * info->block_bytes;
  if (bytes.size() != expected) {
    throw GgufError(ctx + "expected " + std::to_string(expected) + " data bytes, got " +
                    std::to_string(bytes.size()));
  }
  tensors_.push_back(
      {std::move(name), type, std::move(dims), std::vector<std::byte>(bytes.begin(), bytes.end())});
}

void GgufWriter::add_tensor_f32(std::string name, std::vector<uint64_t> dims, std::span<const float> values) {
  add_tensor(std::move(name), GgmlType::F32, std::move(dims), std::as_bytes(values));
}

template <typename Sink>
void GgufWriter::emit(Sink& sink) const {
  const uint64_t align = alignment();
  Encoder<Sink> e(sink);
  e.bytes("GGUF", 4);
  e.template put<uint32_t>(3);
  e.template put<uint64_t>(tensors_.size());
  e.template put<uint64_t>(kv_.size());
  for (const auto& [k, v] : kv_) {
    e.str(k);
    e.template put<uint32_t>(static_cast<uint32_t>(v.type));
    put_value(e, k, v);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    e.str(t.name);
    e.template put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) e.template put<uint64_t>(d);
    e.template put<uint32_t>(static_cast<uint32_t>(t.type));
    e.template put<uint64_t>(offset);
    offset += (t.bytes.size() + align - 1) / align * align;
  }
  e.pad_to(align);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    e.bytes(tensors_[i].bytes.data(), tensors_[i].bytes.size());
    // Padding after the last tensor is optional in the format; writing it keeps every tensor's end aligned.
    e.pad_to(align);
  }
}

std::vector<std::byte> GgufWriter::to_bytes() const {
  std::vector<std::byte> out;
  VectorSink sink{out};
  emit(sink);
  return out;
}

void GgufWriter::write(const std::string& path) const {
  try {
    AtomicFileWriter file(path);
    FileSink sink{file, {}};
    emit(sink);
    sink.flush();
    file.commit();
  } catch (const FileError& e) {
    throw GgufError(e.what());
  }
}

}  // namespace dbsa
