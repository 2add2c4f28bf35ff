#pragma once
// The K/V rows of a query's selected blocks, concatenated in selection order, served straight from the
// mapped block store: the query context as a KvRowSource (engine/kv_row_source.h). Attention converts
// each tile it streams over, so assembling a context copies nothing and costs no memory.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cache/block_cache.h"
#include "engine/kv_row_source.h"

namespace dbsa {

class BlockRowSource final : public KvRowSource {
 public:
  // The views are validated (and the blocks' checksums verified) here, before any attention reads.
  // `cache` must outlive the source.
  BlockRowSource(const BlockCache& cache, std::span<const int32_t> blocks);

  int64_t rows() const override { return starts_.back(); }
  void read(int32_t layer, bool is_v, int32_t head, int64_t first, int64_t n, float* out) const override;
  void read_rows(int32_t layer, bool is_v, int64_t first, int64_t n, float* out) const override;
  void prefetch_rows(int32_t layer, int64_t first, int64_t n) const override;

 private:
  // Calls fn(view, first row in it, rows) for the views covering rows [first, first + n), in order.
  void for_each_view(int64_t first, int64_t n,
                     const std::function<void(const BlockView&, uint32_t, uint32_t)>& fn) const;

  std::vector<BlockView> views_;
  std::vector<int64_t> starts_;  // first row of each view, then the total
  int32_t head_dim_ = 0;
  int64_t row_floats_ = 0;
};

}  // namespace dbsa
