#pragma once
// Rows of a KV view that live outside a KvCache's own storage, read on demand one head slice at a
// time. DBSA's query context is such a source: the selected blocks stay in the mapped block store and
// attention converts each key/value tile into scratch as it streams over it, so a query never writes
// (or re-reads) a float copy of its whole context.
#include <cstdint>

namespace dbsa {

class KvRowSource {
 public:
  virtual ~KvRowSource() = default;
  virtual int64_t rows() const = 0;
  // Keys (before RoPE) or values of `layer` and KV head `head` for rows [first, first + n), written as
  // out[n][head_dim]. Called from several threads at once.
  virtual void read(int32_t layer, bool is_v, int32_t head, int64_t first, int64_t n, float* out) const = 0;
  // The same rows for every KV head at once, out[n][n_head_kv][head_dim]: a DBSA query's attention
  // stages whole key tiles this way, one contiguous run of the store instead of a strided one per head.
  virtual void read_rows(int32_t layer, bool is_v, int64_t first, int64_t n, float* out) const = 0;
  // Rows [first, first + n) of `layer` (keys and values) will be read soon: a source in memory asks the
  // CPU to start loading them. Attention names the next tile's rows a few at a time while it computes
  // on the current one, so the store's memory traffic overlaps the arithmetic.
  virtual void prefetch_rows(int32_t layer, int64_t first, int64_t n) const {
    (void)layer;
    (void)first;
    (void)n;
  }
};

}  // namespace dbsa
