#pragma once
// Reproducible randomness for pools and grouping. std::mt19937_64's output sequence is fixed by the C++
// standard, but std::uniform_int_distribution and std::shuffle are implementation-defined, so the
// bounded draw and the shuffle are written here:
//   below(n):  draw u = next 64-bit output; reject while u >= 2^64 - (2^64 mod n); return u mod n
//              (rejection removes the modulo bias; with n << 2^64 it almost never loops).
//   shuffle:   Fisher-Yates from the front: for i = 0 .. n-2, swap(v[i], v[i + below(n - i)]).
// A seed therefore gives the same pools and blocks on every platform and compiler.
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace dbsa {

class SeededRng {
 public:
  explicit SeededRng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, n); n must be > 0.
  std::uint64_t below(std::uint64_t n);

  template <typename T>
  void shuffle(std::vector<T>& v) {
    partial_shuffle(v, v.size());
  }
  // Leaves a uniformly drawn ordered sample of k elements in v[0..k) (the first k steps of shuffle()).
  template <typename T>
  void partial_shuffle(std::vector<T>& v, std::size_t k) {
    const std::size_t n = v.size();
    for (std::size_t i = 0; i + 1 < n && i < k; ++i) {
      const std::size_t j = i + static_cast<std::size_t>(below(n - i));
      if (j != i) std::swap(v[i], v[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace dbsa
