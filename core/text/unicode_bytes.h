#pragma once
// UTF-8 helpers and the byte-level BPE byte <-> unicode-character map (GPT-2's bytes_to_unicode).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbsa {

// Length of the UTF-8 sequence a lead byte announces, the way the reference tokenizers count it
// (continuation bytes count as 1 so a scan always advances).
inline size_t utf8_seq_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

struct Utf8Problem {
  size_t offset = 0;  // byte offset of the first byte of the bad sequence
  std::string what;   // what was wrong there
};

// Strict validation (no overlong forms, no surrogates, nothing above U+10FFFF).
std::optional<Utf8Problem> find_invalid_utf8(std::string_view s);

// Appends the UTF-8 encoding of code point cp (cp must be a valid scalar value).
void append_utf8(std::string& out, uint32_t cp);

// Decodes the code point starting at s[pos] of valid UTF-8 and advances pos.
uint32_t next_codepoint(std::string_view s, size_t& pos);

// GPT-2 byte-level map: every byte gets a printable code point so merges never see raw control bytes.
// byte_to_unicode(b) is the UTF-8 text of that code point; unicode_to_byte inverts it (nullopt for code
// points outside the map).
const std::string& byte_to_unicode(uint8_t b);
std::optional<uint8_t> unicode_to_byte(uint32_t cp);

// Maps every byte of raw text to its byte-level characters.
std::string bytes_to_unicode_text(std::string_view raw);

}  // namespace dbsa
