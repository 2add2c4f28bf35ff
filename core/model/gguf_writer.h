#pragma once
// Builds a GGUF v3 file in memory (metadata in insertion order, tensors in insertion order) and writes
// it atomically: a temporary file in the target folder, fsync, then rename, so readers never see a
// partial model.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/ggml_type.h"
#include "model/gguf_file.h"

namespace dbsa {

class GgufWriter {
 public:
  // Scalars. Setting a key again replaces its value and keeps its original position.
  void set_u8(std::string_view key, uint8_t v);
  void set_i8(std::string_view key, int8_t v);
  void set_u16(std::string_view key, uint16_t v);
  void set_i16(std::string_view key, int16_t v);
  void set_u32(std::string_view key, uint32_t v);
  void set_i32(std::string_view key, int32_t v);
  void set_u64(std::string_view key, uint64_t v);
  void set_i64(std::string_view key, int64_t v);
  void set_f32(std::string_view key, float v);
  void set_f64(std::string_view key, double v);
  void set_bool(std::string_view key, bool v);
  void set_string(std::string_view key, std::string v);
  // Arrays of strings and of numbers.
  void set_array_string(std::string_view key, const std::vector<std::string>& v);
  void set_array_f32(std::string_view key, const std::vector<float>& v);
  void set_array_i32(std::string_view key, const std::vector<int32_t>& v);
  void set_array_u32(std::string_view key, const std::vector<uint32_t>& v);
  // Any value, including nested arrays; its variant must match its type (checked at write time).
  void set(std::string_view key, GgufValue v);
  // Copies one entry from a parsed file (throws GgufError when it is absent), or every entry whose key
  // starts with the prefix (e.g. "tokenizer."); returns how many were copied.
  void copy_from(const GgufFile& f, std::string_view key);
  size_t copy_prefix(const GgufFile& f, std::string_view prefix);
  // Writes general.alignment; must be a power of two <= kGgufMaxAlignment (2^24). Default (absent): 32.
  void set_alignment(uint32_t alignment);

  // Tensor data is copied; bytes.size() must equal the size implied by type and dims.
  void add_tensor(std::string name, GgmlType type, std::vector<uint64_t> dims,
                  std::span<const std::byte> bytes);
  void add_tensor_f32(std::string name, std::vector<uint64_t> dims, std::span<const float> values);

  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  size_t tensor_count() const { return tensors_.size(); }

  // The complete file image (for tests and fuzz seeds).
  std::vector<std::byte> to_bytes() const;
  // Atomic write; errors name the path.
  void write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<uint64_t> dims;
    std::vector<std::byte> bytes;
  };
  uint64_t alignment() const;
  template <typename Sink>
  void emit(Sink& sink) const;

  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace dbsa
