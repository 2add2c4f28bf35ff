#pragma once
// Binary16 value from the IEEE definition, for tests that need a decoder independent of the library.
#include <cmath>
#include <cstdint>
#include <limits>

namespace dbsa::test {

inline double ref_half(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v;
  if (e == 31) {
    v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else if (e == 0) {
    v = std::ldexp(m / 1024.0, -14);
  } else {
    v = std::ldexp(1.0 + m / 1024.0, e - 15);
  }
  return s ? -v : v;
}

}  // namespace dbsa::test
