#pragma once
// A KvRowSource over K/V arrays laid out like a KvCache layer ([row][n_head_kv][head_dim] with a row
// stride): the test stand-in for a DBSA query's blocks in the store. Counts the rows it serves and
// checks every read is for the expected layer and inside its rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "engine/kv_row_source.h"

namespace dbsa::test {

class ArrayRowSource final : public KvRowSource {
 public:
  ArrayRowSource(const std::vector<float>& k, const std::vector<float>& v, int64_t rows, int64_t stride,
                 int32_t head_dim, int32_t layer)
      : k_(k), v_(v), rows_(rows), stride_(stride), d_(head_dim), layer_(layer) {}
  int64_t rows() const override { return rows_; }
  void read(int32_t layer, bool is_v, int32_t head, int64_t first, int64_t n, float* out) const override {
    EXPECT_EQ(layer, layer_);
    EXPECT_LE(first + n, rows_);
    const auto& src = is_v ? v_ : k_;
    for (int64_t t = 0; t < n; ++t)
      std::copy_n(src.data() + (first + t) * stride_ + static_cast<int64_t>(head) * d_, d_, out + t * d_);
    reads_ += n;
  }
  void read_rows(int32_t layer, bool is_v, int64_t first, int64_t n, float* out) const override {
    for (int32_t h = 0; h < static_cast<int32_t>(stride_ / d_); ++h) {
      std::vector<float> head(static_cast<size_t>(n * d_));
      read(layer, is_v, h, first, n, head.data());
      for (int64_t t = 0; t < n; ++t) std::copy_n(head.data() + t * d_, d_, out + t * stride_ + h * d_);
    }
  }
  int64_t rows_read() const { return reads_.load(); }

 private:
  const std::vector<float>& k_;
  const std::vector<float>& v_;
  int64_t rows_, stride_;
  int32_t d_, layer_;
  mutable std::atomic<int64_t> reads_{0};
};

}  // namespace dbsa::test
