#include "method/block_row_source.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dbsa {

BlockRowSource::BlockRowSource(const BlockCache& cache, std::span<const int32_t> blocks)
    : head_dim_(cache.shape().head_dim), row_floats_(static_cast<int64_t>(cache.shape().row())) {
  starts_.push_back(0);
  for (const int32_t b : blocks) {
    views_.push_back(cache.view(b));
    starts_.push_back(starts_.back() + views_.back().n_tokens());
  }
}

void BlockRowSource::read(int32_t layer, bool is_v, int32_t head, int64_t first, int64_t n,
                          float* out) const {
  for_each_view(first, n, [&](const BlockView& v, uint32_t in_block, uint32_t take) {
    v.read_head(layer, is_v, head, in_block, take, out);
    out += static_cast<int64_t>(take) * head_dim_;
  });
}

void BlockRowSource::read_rows(int32_t layer, bool is_v, int64_t first, int64_t n, float* out) const {
  for_each_view(first, n, [&](const BlockView& v, uint32_t in_block, uint32_t take) {
    v.read_rows(layer, is_v, in_block, take, out);
    out += static_cast<int64_t>(take) * row_floats_;
  });
}

void BlockRowSource::prefetch_rows(int32_t layer, int64_t first, int64_t n) const {
  if (first < 0 || n <= 0 || first + n > rows()) return;  // a hint: never an error
  for_each_view(first, n, [&](const BlockView& v, uint32_t in_block, uint32_t take) {
    v.prefetch_rows(layer, in_block, take);
  });
}

void BlockRowSource::for_each_view(
    int64_t first, int64_t n, const std::function<void(const BlockView&, uint32_t, uint32_t)>& fn) const {
  if (first < 0 || n < 0 || first + n > rows())
    throw std::out_of_range("block rows [" + std::to_string(first) + ", " + std::to_string(first + n) +
                            ") outside the " + std::to_string(rows()) + " rows of the selected blocks");
  // The block holding `first`: the last start <= first.
  auto i = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), first) - starts_.begin() - 1);
  while (n > 0) {
    const int64_t in_block = first - starts_[i];
    const int64_t take = std::min(n, starts_[i + 1] - first);
    fn(views_[i], static_cast<uint32_t>(in_block), static_cast<uint32_t>(take));
    first += take;
    n -= take;
    ++i;
  }
}

}  // namespace dbsa
