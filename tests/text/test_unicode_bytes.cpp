// UTF-8 validation and the byte-level BPE byte <-> character map.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "text/unicode_bytes.h"

namespace dbsa {
namespace {

TEST(Utf8Validation, AcceptsValidText) {
  EXPECT_FALSE(find_invalid_utf8(""));
  EXPECT_FALSE(find_invalid_utf8("plain ascii\n\t"));
  EXPECT_FALSE(find_invalid_utf8("\xC3\x9Cn\xC3\xAF \xE6\x97\xA5 \xF0\x9F\x99\x82 \xF4\x8F\xBF\xBF"));
}

TEST(Utf8Validation, NamesTheOffsetOfTheFirstBadSequence) {
  struct Case {
    std::string text;
    size_t offset;
  };
  const Case cases[] = {{"ab\x80", 2},                 // stray continuation byte
                        {"\xC3", 0},                   // truncated 2-byte sequence
                        {"a\xE2\x82", 1},              // truncated 3-byte sequence
                        {"ok \xE2(x", 3},              // lead byte not followed by a continuation
                        {"\xC0\xAF", 0},               // overlong '/'
                        {"xy\xE0\x80\xAF", 2},         // overlong 3-byte
                        {"\xED\xA0\x80", 0},           // UTF-16 surrogate
                        {"\xF4\x90\x80\x80", 0},       // above U+10FFFF
                        {"\xF8\x88\x80\x80\x80", 0},   // 5-byte form
                        {"\xC3\xA9\xC3\xA9\xFF", 4}};  // invalid byte after valid text
  for (const Case& c : cases) {
    const auto bad = find_invalid_utf8(c.text);
    ASSERT_TRUE(bad.has_value()) << c.offset;
    EXPECT_EQ(bad->offset, c.offset);
    EXPECT_FALSE(bad->what.empty());
  }
}

TEST(Utf8Codec, EncodeDecodeRoundTrip) {
  for (uint32_t cp :
       {0x0u, 0x41u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0x2581u, 0xFFFFu, 0x10000u, 0x1F642u, 0x10FFFFu}) {
    std::string s;
    append_utf8(s, cp);
    EXPECT_FALSE(find_invalid_utf8(s)) << cp;
    size_t pos = 0;
    EXPECT_EQ(next_codepoint(s, pos), cp);
    EXPECT_EQ(pos, s.size());
  }
}

TEST(ByteLevelMap, IsABijectionOntoPrintableCharacters) {
  std::set<std::string> seen;
  for (int b = 0; b < 256; ++b) {
    const std::string& u = byte_to_unicode(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(u).second) << "byte " << b << " maps to a character already used";
    size_t pos = 0;
    const uint32_t cp = next_codepoint(u, pos);
    EXPECT_EQ(pos, u.size());
    ASSERT_TRUE(unicode_to_byte(cp).has_value());
    EXPECT_EQ(*unicode_to_byte(cp), b);
    EXPECT_GT(cp, 0x20u);  // never a raw control character or space
  }
  // The well-known fixed points and the two characters every GPT-2 vocabulary is full of.
  EXPECT_EQ(byte_to_unicode('A'), "A");
  EXPECT_EQ(byte_to_unicode(' '), "\xC4\xA0");   // U+0120 'Ġ'
  EXPECT_EQ(byte_to_unicode('\n'), "\xC4\x8A");  // U+010A 'Ċ'
  EXPECT_EQ(byte_to_unicode(0xAD), "\xC5\x83");  // soft hyphen is remapped (U+0143)
  EXPECT_FALSE(unicode_to_byte(0x2581).has_value());
  EXPECT_FALSE(unicode_to_byte(0x20).has_value());
  EXPECT_EQ(bytes_to_unicode_text("a b\n"),
            "a\xC4\xA0"
            "b\xC4\x8A");
}

}  // namespace
}  // namespace dbsa
