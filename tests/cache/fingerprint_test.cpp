#include "cache/fingerprint.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cache/cache_error.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

TEST(Fingerprint, FileHashIsXxh3OfTheRawBytes) {
  const auto dir = test::scratch_dir("fingerprint");
  std::ofstream(dir / "empty").close();
  // The published XXH3-128 of empty input (seed 0): pins both the algorithm and the hex order.
  EXPECT_EQ(fingerprint_file(dir / "empty"), "99aa06d3014798d86001c324468d497f");
  std::ofstream(dir / "a") << "hello";
  std::ofstream(dir / "b") << "hellp";
  EXPECT_NE(fingerprint_file(dir / "a"), fingerprint_file(dir / "b"));
  EXPECT_EQ(fingerprint_file(dir / "a").size(), 32u);
  try {
    (void)fingerprint_file(dir / "missing.gguf");
    FAIL();
  } catch (const CacheError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.gguf"), std::string::npos) << e.what();
  }
}

TEST(Fingerprint, ValuesAreSeparated) {
  Fingerprint a, b, c, d;
  a.add("ab").add("c");
  b.add("a").add("bc");
  c.add("ab").add("c");
  d.add_int(1).add("x");
  EXPECT_NE(a.hex(), b.hex());
  EXPECT_EQ(a.hex(), c.hex());
  Fingerprint e;
  e.add("\x01").add("x");  // not confusable with the integer 1
  EXPECT_NE(d.hex(), e.hex());
  EXPECT_EQ(hash128_hex(0x0123456789abcdefULL, 0xfULL), "0123456789abcdef000000000000000f");
}

}  // namespace
}  // namespace dbsa
