// GGUF parsing. Layout (little-endian): magic "GGUF", u32 version, u64 tensor count, u64 metadata count,
// metadata entries (string key, u32 value type, value), tensor infos (string name, u32 n_dims, u64 dims,
// u32 type, u64 offset), padding to the alignment, tensor data. Nothing read from the file is trusted
// before it has been checked against the bytes that remain.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "model/gguf_file.h"

namespace dbsa {
namespace {

constexpr uint32_t kMaxDims = 4;
// Arrays of arrays are legal; the cap keeps a hostile file from exhausting the stack through recursion.
constexpr int kMaxArrayDepth = 8;
// Every array element becomes a ~48-byte GgufValue, so a hostile 1-byte-per-element array could ask
// for ~50x the file size in memory. Real vocabularies need < 1M values (Llama-3: 128k tokens + 280k
// merges); 2^24 bounds the metadata at under 1 GB whatever the file claims.
constexpr uint64_t kMaxArrayElements = uint64_t{1} << 24;
// Smallest possible encodings, used to reject counts that cannot fit the remaining bytes before any
// allocation: a metadata entry is a key (8-byte length + >= 1 byte), a u32 type and >= 1 value byte; a
// tensor info is a name (8 + >= 1), u32 n_dims, >= 1 u64 dim, u32 type and a u64 offset.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

std::string hex_bytes(const std::byte* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    auto b = static_cast<unsigned>(p[i]);
    if (i) s += ' ';
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

class Reader {
 public:
  Reader(const std::byte* base, uint64_t size, const std::string& path)
      : base_(base), size_(size), path_(path) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  [[noreturn]] void fail(uint64_t at, std::string_view expected, std::string_view got) const {
    throw GgufError(path_ + ": at byte " + std::to_string(at) + ": expected " + std::string(expected) +
                    ", got " + std::string(got));
  }

  void need(uint64_t n, std::string_view what) const {
    if (remaining() < n) {
      fail(pos_, std::string(what) + " (" + std::to_string(n) + " bytes)",
           "end of file (" + std::to_string(remaining()) + " bytes left)");
    }
  }

  template <typename T>
  T read(std::string_view what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  // A count of items each taking at least min_item_bytes must fit the remaining bytes; checked before
  // anything is allocated for them.
  uint64_t read_count(std::string_view what, uint64_t min_item_bytes) {
    const uint64_t at = pos_;
    const auto n = read<uint64_t>(what);
    if (n > remaining() / min_item_bytes) {
      fail(at, std::string(what) + " that fits the " + std::to_string(remaining()) + " remaining bytes",
           std::to_string(n));
    }
    return n;
  }

  std::string read_string(std::string_view what) {
    const uint64_t n = read_count(std::string(what) + " length", 1);
    std::string s(reinterpret_cast<const char*>(base_ + pos_), n);
    pos_ += n;
    return s;
  }

  const std::byte* at(uint64_t off) const { return base_ + off; }

  // Counts array elements across the whole metadata against a fixed budget.
  void take_array_elements(uint64_t at, uint64_t n, uint64_t limit) {
    if (n > limit - array_elements_) {
      fail(at, "at most " + std::to_string(limit) + " array elements in all metadata",
           std::to_string(array_elements_ + n));
    }
    array_elements_ += n;
  }

 private:
  const std::byte* base_;
  uint64_t size_;
  uint64_t pos_ = 0;
  uint64_t array_elements_ = 0;
  const std::string& path_;
};

uint64_t scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8:
    case GgufValueType::INT8:
    case GgufValueType::BOOL:
      return 1;
    case GgufValueType::UINT16:
    case GgufValueType::INT16:
      return 2;
    case GgufValueType::UINT32:
    case GgufValueType::INT32:
    case GgufValueType::FLOAT32:
      return 4;
    case GgufValueType::UINT64:
    case GgufValueType::INT64:
    case GgufValueType::FLOAT64:
      return 8;
    case GgufValueType::STRING:
      return 8;  // the length prefix
    case GgufValueType::ARRAY:
      return 12;  // element type + count
  }
  return 1;
}

GgufValueType read_value_type(Reader& r, std::string_view what) {
  const uint64_t at = r.pos();
  const auto raw = r.read<uint32_t>(what);
  if (raw > static_cast<uint32_t>(GgufValueType::FLOAT64)) {
    r.fail(at, std::string(what) + " 0..12", std::to_string(raw));
  }
  return static_cast<GgufValueType>(raw);
}

GgufValue read_value(Reader& r, GgufValueType t, int depth) {
  GgufValue out;
  out.type = t;
  switch (t) {
    case GgufValueType::UINT8:
      out.v = uint64_t{r.read<uint8_t>("UINT8 value")};
      break;
    case GgufValueType::INT8:
      out.v = int64_t{r.read<int8_t>("INT8 value")};
      break;
    case GgufValueType::UINT16:
      out.v = uint64_t{r.read<uint16_t>("UINT16 value")};
      break;
    case GgufValueType::INT16:
      out.v = int64_t{r.read<int16_t>("INT16 value")};
      break;
    case GgufValueType::UINT32:
      out.v = uint64_t{r.read<uint32_t>("UINT32 value")};
      break;
    case GgufValueType::INT32:
      out.v = int64_t{r.read<int32_t>("INT32 value")};
      break;
    case GgufValueType::UINT64:
      out.v = r.read<uint64_t>("UINT64 value");
      break;
    case GgufValueType::INT64:
      out.v = r.read<int64_t>("INT64 value");
      break;
    case GgufValueType::FLOAT32:
      out.v = double{r.read<float>("FLOAT32 value")};
      break;
    case GgufValueType::FLOAT64:
      out.v = r.read<double>("FLOAT64 value");
      break;
    case GgufValueType::BOOL: {
      const uint64_t at = r.pos();
      const auto b = r.read<uint8_t>("BOOL value");
      if (b > 1) r.fail(at, "BOOL value 0 or 1", std::to_string(b));
      out.v = b == 1;
      break;
    }
    case GgufValueType::STRING:
      out.v = r.read_string("string");
      break;
    case GgufValueType::ARRAY: {
      const uint64_t at = r.pos();
      if (depth >= kMaxArrayDepth) {
        r.fail(at, "arrays nested at most " + std::to_string(kMaxArrayDepth) + " deep", "deeper nesting");
      }
      auto arr = std::make_shared<GgufArray>();
      arr->elem_type = read_value_type(r, "array element type");
      const uint64_t count_at = r.pos();
      const uint64_t n = r.read_count("array element count", scalar_size(arr->elem_type));
      r.take_array_elements(count_at, n, kMaxArrayElements);
      arr->items.reserve(n);
      for (uint64_t i = 0; i < n; ++i) arr->items.push_back(read_value(r, arr->elem_type, depth + 1));
      out.v = std::move(arr);
      break;
    }
  }
  return out;
}

bool checked_mul(uint64_t a, uint64_t b, uint64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}
bool checked_add(uint64_t a, uint64_t b, uint64_t& out) {
  return !__builtin_add_overflow(a, b, &out);
}

}  // namespace

GgufFile::~GgufFile() {
  if (mapping_ != nullptr) munmap(mapping_, size_);
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw GgufError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd);
    throw GgufError(path + ": expected a regular file" + (err ? std::string(": ") + std::strerror(err) : ""));
  }
  f->size_ = static_cast<uint64_t>(st.st_size);
  if (f->size_ > 0) {
    void* m = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw GgufError(path + ": cannot map " + std::to_string(f->size_) + " bytes: " + std::strerror(err));
    }
    f->mapping_ = m;
    f->base_ = static_cast<const std::byte*>(m);
  }
  ::close(fd);  // the mapping stays valid without the descriptor
  f->parse();
  return f;
}

std::unique_ptr<GgufFile> GgufFile::from_bytes(std::span<const std::byte> bytes, std::string name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = std::move(name);
  f->owned_.assign(bytes.begin(), bytes.end());
  f->size_ = f->owned_.size();
  f->base_ = f->owned_.data();
  f->parse();
  return f;
}

namespace {

// A tensor info after its name: dimensions, type and byte size, each checked where it is read.
void read_tensor_shape(Reader& r, GgufTensorInfo& t) {
  const std::string ctx = "tensor '" + t.name + "'";

  const uint64_t ndims_at = r.pos();
  const auto n_dims = r.read<uint32_t>("dimension count of " + ctx);
  if (n_dims < 1 || n_dims > kMaxDims) {
    r.fail(ndims_at, "1.." + std::to_string(kMaxDims) + " dimensions for " + ctx, std::to_string(n_dims));
  }
  t.dims.resize(n_dims);
  uint64_t n_elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    const uint64_t dim_at = r.pos();
    t.dims[d] = r.read<uint64_t>("dimension " + std::to_string(d) + " of " + ctx);
    if (t.dims[d] == 0) r.fail(dim_at, "dimension " + std::to_string(d) + " of " + ctx + " >= 1", "0");
    if (!checked_mul(n_elements, t.dims[d], n_elements) ||
        n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      r.fail(dim_at, "an element count of " + ctx + " that fits int64",
             "an overflowing product of dimensions");
    }
  }
  t.n_elements = n_elements;

  const uint64_t type_at = r.pos();
  const auto raw_type = r.read<uint32_t>("type of " + ctx);
  const auto info = ggml_type_info(raw_type);
  if (!info) r.fail(type_at, "a known ggml type for " + ctx, "type id " + std::to_string(raw_type));
  t.type = static_cast<GgmlType>(raw_type);
  if (t.dims[0] % info->block_elems != 0) {
    r.fail(ndims_at + 4,
           "dimension 0 of " + ctx + " to be a multiple of the " + std::string(info->name) + " block size " +
               std::to_string(info->block_elems),
           std::to_string(t.dims[0]));
  }
  // n_elements < 2^63 and block_bytes <= 292 per >= 1 element: cannot overflow, but check anyway.
  if (!checked_mul(n_elements / info->block_elems, info->block_bytes, t.n_bytes)) {
    r.fail(type_at, "a byte size of " + ctx + " that fits 64 bits", "an overflow");
  }
}

// Overlapping tensors would alias weights; a well-formed file never has them.
void check_no_overlap(Reader& r, const std::vector<GgufTensorInfo>& tensors,
                      const std::vector<uint64_t>& offset_field_at) {
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tensors[a].offset < tensors[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const GgufTensorInfo& prev = tensors[order[k - 1]];
    const GgufTensorInfo& cur = tensors[order[k]];
    if (cur.offset < prev.offset + prev.n_bytes) {
      r.fail(offset_field_at[order[k]],
             "tensor '" + cur.name + "' to start at or after data offset " +
                 std::to_string(prev.offset + prev.n_bytes) + " where '" + prev.name + "' ends",
             "data offset " + std::to_string(cur.offset));
    }
  }
}

}  // namespace

void GgufFile::parse() {
  Reader r(base_, size_, path_);

  r.need(4, "magic \"GGUF\"");
  if (std::memcmp(base_, "GGUF", 4) != 0) r.fail(0, "magic \"GGUF\"", "bytes " + hex_bytes(base_, 4));
  r.read<uint32_t>("magic");

  const uint64_t version_at = r.pos();
  version_ = r.read<uint32_t>("version");
  if (version_ == 1) {
    r.fail(version_at, "GGUF version 2 or 3",
           "version 1 (obsolete format; re-convert the model with current tools)");
  }
  if (version_ != 2 && version_ != 3) {
    const bool swapped = version_ == 0x02000000u || version_ == 0x03000000u;
    r.fail(version_at, "GGUF version 2 or 3",
           "version " + std::to_string(version_) +
               (swapped ? " (a big-endian file; only little-endian is supported)" : ""));
  }

  const uint64_t n_tensors = r.read_count("tensor count", kMinTensorInfoBytes);
  const uint64_t n_kv = r.read_count("metadata entry count", kMinKvBytes);

  kv_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t key_at = r.pos();
    std::string key = r.read_string("metadata key");
    if (key.empty()) r.fail(key_at, "a non-empty metadata key", "an empty key");
    if (kv_index_.count(key)) r.fail(key_at, "a unique metadata key", "a second '" + key + "'");
    const GgufValueType t = read_value_type(r, "value type of '" + key + "'");
    const uint64_t value_at = r.pos();
    GgufValue value = read_value(r, t, 0);
    if (key == "general.alignment") {
      uint64_t a = 0;
      if (std::holds_alternative<uint64_t>(value.v)) a = std::get<uint64_t>(value.v);
      if (!std::holds_alternative<uint64_t>(value.v) || a == 0 || (a & (a - 1)) != 0 ||
          a > kGgufMaxAlignment) {
        r.fail(value_at, "general.alignment to be a power of two between 1 and 2^24",
               std::holds_alternative<uint64_t>(value.v) ? std::to_string(a)
                                                         : std::string(gguf_value_type_name(t)));
      }
      alignment_ = a;
    }
    kv_index_.emplace(key, kv_.size());
    kv_.emplace_back(std::move(key), std::move(value));
  }

  // Tensor infos; where each offset field sits is kept so later checks can point at it.
  tensors_.reserve(n_tensors);
  std::vector<uint64_t> offset_field_at;
  offset_field_at.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    const uint64_t name_at = r.pos();
    t.name = r.read_string("tensor name");
    if (t.name.empty()) r.fail(name_at, "a non-empty tensor name", "an empty name");
    if (tensor_index_.count(t.name)) r.fail(name_at, "a unique tensor name", "a second '" + t.name + "'");
    read_tensor_shape(r, t);

    offset_field_at.push_back(r.pos());
    t.offset = r.read<uint64_t>("data offset of tensor '" + t.name + "'");
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  const uint64_t infos_end = r.pos();
  const uint64_t pad = (alignment_ - infos_end % alignment_) % alignment_;
  if (!checked_add(infos_end, pad, data_offset_) || (n_tensors > 0 && data_offset_ > size_)) {
    r.fail(infos_end, "tensor data to start at byte " + std::to_string(infos_end + pad) + " inside the file",
           "a file of " + std::to_string(size_) + " bytes");
  }

  for (size_t i = 0; i < tensors_.size(); ++i) {
    GgufTensorInfo& t = tensors_[i];
    const std::string ctx = "tensor '" + t.name + "'";
    if (t.offset % alignment_ != 0) {
      r.fail(offset_field_at[i], "a data offset of " + ctx + " aligned to " + std::to_string(alignment_),
             std::to_string(t.offset));
    }
    uint64_t begin = 0;
    uint64_t end = 0;
    if (!checked_add(data_offset_, t.offset, begin) || !checked_add(begin, t.n_bytes, end) || end > size_) {
      r.fail(offset_field_at[i],
             "the " + std::to_string(t.n_bytes) + " data bytes of " + ctx + " inside the file of " +
                 std::to_string(size_) + " bytes",
             "data offset " + std::to_string(t.offset) + " (absolute " + std::to_string(data_offset_) +
                 " + " + std::to_string(t.offset) + ")");
    }
    t.data = r.at(begin);
  }

  check_no_overlap(r, tensors_, offset_field_at);
}

}  // namespace dbsa
