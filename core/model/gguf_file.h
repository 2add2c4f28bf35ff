#pragma once
// Read-only, memory-mapped GGUF (v2/v3) file. Every count, length, offset, dimension and type is
// validated before it is used; problems throw GgufError naming the file, the byte offset and what was
// expected, so a corrupt or hostile file can never make us read out of bounds.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/ggml_type.h"

namespace dbsa {

class GgufError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Largest general.alignment accepted (reader and writer). The format sets no bound, but padding is
// materialised by writers and a hostile header could otherwise demand gigabytes of it; real files use
// 32 (the default) up to page or huge-page sizes.
inline constexpr uint64_t kGgufMaxAlignment = uint64_t{1} << 24;

// Metadata value types as numbered by the GGUF specification.
enum class GgufValueType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};
std::string_view gguf_value_type_name(GgufValueType t);

struct GgufArray;
// One metadata value. Arrays hold their element type and a vector of scalar/string values (nested arrays
// are allowed by the spec and supported).
struct GgufValue {
  GgufValueType type = GgufValueType::UINT8;
  std::variant<uint64_t, int64_t, double, bool, std::string, std::shared_ptr<GgufArray>> v;

  // Checked conversions: throw GgufError (naming the key when given) on a type that cannot convert.
  uint64_t as_u64(std::string_view key = {}) const;
  int64_t as_i64(std::string_view key = {}) const;
  double as_f64(std::string_view key = {}) const;
  bool as_bool(std::string_view key = {}) const;
  const std::string& as_string(std::string_view key = {}) const;
  const GgufArray& as_array(std::string_view key = {}) const;
};

struct GgufArray {
  GgufValueType elem_type = GgufValueType::UINT8;
  std::vector<GgufValue> items;
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<uint64_t> dims;  // ggml order: dims[0] is the contiguous (row) dimension
  uint64_t offset = 0;         // relative to the start of the tensor data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  const std::byte* data = nullptr;  // points into the mapping; valid while the GgufFile lives

  uint64_t rows() const { return dims.empty() ? 0 : n_elements / dims[0]; }
  uint64_t row_elems() const { return dims.empty() ? 0 : dims[0]; }
};

class GgufFile {
 public:
  // Maps and parses the file; throws GgufError on any inconsistency.
  static std::unique_ptr<GgufFile> open(const std::string& path);
  // Parses an in-memory image (used by the fuzzer and tests); the bytes are copied.
  static std::unique_ptr<GgufFile> from_bytes(std::span<const std::byte> bytes,
                                              std::string name = "<memory>");

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }

  // Metadata in file order and by key.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Typed getters; throw GgufError "missing key" when absent (the *_or variants return the default).
  uint64_t get_u64(std::string_view key) const;
  int64_t get_i64(std::string_view key) const;
  double get_f64(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  const std::string& get_string(std::string_view key) const;
  const GgufArray& get_array(std::string_view key) const;
  uint64_t get_u64_or(std::string_view key, uint64_t def) const;
  double get_f64_or(std::string_view key, double def) const;
  bool get_bool_or(std::string_view key, bool def) const;
  std::string get_string_or(std::string_view key, std::string def) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  // Throws GgufError naming the tensor when absent.
  const GgufTensorInfo& tensor(std::string_view name) const;

 private:
  GgufFile() = default;
  void parse();

  std::string path_;
  uint32_t version_ = 0;
  uint64_t size_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  const std::byte* base_ = nullptr;
  void* mapping_ = nullptr;       // mmap'ed region (nullptr when owned_ holds the bytes)
  std::vector<std::byte> owned_;  // for from_bytes
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace dbsa
