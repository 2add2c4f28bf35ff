// Metadata value conversions and the keyed getters of GgufFile.
#include <cmath>
#include <limits>
#include <string>

#include "model/gguf_file.h"

namespace dbsa {
namespace {

std::string key_prefix(std::string_view key) {
  return key.empty() ? std::string("metadata value: ") : "key '" + std::string(key) + "': ";
}

[[noreturn]] void bad_type(std::string_view key, std::string_view expected, GgufValueType got) {
  throw GgufError(key_prefix(key) + "expected " + std::string(expected) + ", got " +
                  std::string(gguf_value_type_name(got)));
}

}  // namespace

std::string_view gguf_value_type_name(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8:
      return "UINT8";
    case GgufValueType::INT8:
      return "INT8";
    case GgufValueType::UINT16:
      return "UINT16";
    case GgufValueType::INT16:
      return "INT16";
    case GgufValueType::UINT32:
      return "UINT32";
    case GgufValueType::INT32:
      return "INT32";
    case GgufValueType::FLOAT32:
      return "FLOAT32";
    case GgufValueType::BOOL:
      return "BOOL";
    case GgufValueType::STRING:
      return "STRING";
    case GgufValueType::ARRAY:
      return "ARRAY";
    case GgufValueType::UINT64:
      return "UINT64";
    case GgufValueType::INT64:
      return "INT64";
    case GgufValueType::FLOAT64:
      return "FLOAT64";
  }
  return "unknown value type";
}

uint64_t GgufValue::as_u64(std::string_view key) const {
  if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v)) {
    if (*i < 0) {
      throw GgufError(key_prefix(key) + "expected a non-negative integer, got " + std::to_string(*i));
    }
    return static_cast<uint64_t>(*i);
  }
  bad_type(key, "an integer", type);
}

int64_t GgufValue::as_i64(std::string_view key) const {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&v)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw GgufError(key_prefix(key) + "expected an integer that fits int64, got " + std::to_string(*u));
    }
    return static_cast<int64_t>(*u);
  }
  bad_type(key, "an integer", type);
}

double GgufValue::as_f64(std::string_view key) const {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&v)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  bad_type(key, "a number", type);
}

bool GgufValue::as_bool(std::string_view key) const {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  bad_type(key, "BOOL", type);
}

const std::string& GgufValue::as_string(std::string_view key) const {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  bad_type(key, "STRING", type);
}

const GgufArray& GgufValue::as_array(std::string_view key) const {
  if (const auto* a = std::get_if<std::shared_ptr<GgufArray>>(&v)) {
    if (*a) return **a;
  }
  bad_type(key, "ARRAY", type);
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

namespace {

// Runs a conversion, prefixing any error with the file path so the caller sees which file is wrong.
template <typename F>
auto with_path(const std::string& path, std::string_view key, const GgufValue* value, F&& convert) {
  if (value == nullptr) throw GgufError(path + ": missing metadata key '" + std::string(key) + "'");
  try {
    return convert(*value);
  } catch (const GgufError& e) {
    throw GgufError(path + ": " + e.what());
  }
}

}  // namespace

uint64_t GgufFile::get_u64(std::string_view key) const {
  return with_path(path_, key, find(key), [&](const GgufValue& v) { return v.as_u64(key); });
}
int64_t GgufFile::get_i64(std::string_view key) const {
  return with_path(path_, key, find(key), [&](const GgufValue& v) { return v.as_i64(key); });
}
double GgufFile::get_f64(std::string_view key) const {
  return with_path(path_, key, find(key), [&](const GgufValue& v) { return v.as_f64(key); });
}
bool GgufFile::get_bool(std::string_view key) const {
  return with_path(path_, key, find(key), [&](const GgufValue& v) { return v.as_bool(key); });
}
const std::string& GgufFile::get_string(std::string_view key) const {
  return *with_path(path_, key, find(key), [&](const GgufValue& v) { return &v.as_string(key); });
}
const GgufArray& GgufFile::get_array(std::string_view key) const {
  return *with_path(path_, key, find(key), [&](const GgufValue& v) { return &v.as_array(key); });
}
uint64_t GgufFile::get_u64_or(std::string_view key, uint64_t def) const {
  return has(key) ? get_u64(key) : def;
}
double GgufFile::get_f64_or(std::string_view key, double def) const {
  return has(key) ? get_f64(key) : def;
}
bool GgufFile::get_bool_or(std::string_view key, bool def) const {
  return has(key) ? get_bool(key) : def;
}
std::string GgufFile::get_string_or(std::string_view key, std::string def) const {
  return has(key) ? get_string(key) : def;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::tensor(std::string_view name) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (t == nullptr) throw GgufError(path_ + ": missing tensor '" + std::string(name) + "'");
  return *t;
}

}  // namespace dbsa
