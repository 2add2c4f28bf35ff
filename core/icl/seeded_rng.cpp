#include "icl/seeded_rng.h"

#include <stdexcept>

namespace dbsa {

std::uint64_t SeededRng::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("SeededRng::below: n must be positive");
  // (2^64 - n) mod n == 2^64 mod n, computed without 128-bit arithmetic.
  const std::uint64_t reject_from = 0 - ((0 - n) % n);
  for (;;) {
    const std::uint64_t u = engine_();
    if (reject_from == 0 || u < reject_from) return u % n;
  }
}

}  // namespace dbsa
