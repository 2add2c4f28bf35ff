#include "text/unicode_bytes.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace dbsa {

namespace {

std::string hex_byte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

// Code point of byte b in GPT-2's map: printable Latin-1 bytes keep their value, the others are moved to
// 256.. in byte order.
struct ByteMap {
  std::array<uint32_t, 256> cp{};
  std::array<std::string, 256> utf8;
  std::array<int16_t, 512> back{};  // code point (< 512) -> byte, -1 when not in the map

  ByteMap() {
    back.fill(-1);
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      cp[b] = printable ? b : next++;
      append_utf8(utf8[b], cp[b]);
      back[cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap m;
  return m;
}

}  // namespace

std::optional<Utf8Problem> find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min_cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min_cp = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min_cp = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min_cp = 0x10000;
    } else {
      return Utf8Problem{i, (c & 0xC0) == 0x80 ? "unexpected continuation byte " + hex_byte(c)
                                               : "byte " + hex_byte(c) + " cannot start a UTF-8 sequence"};
    }
    if (i + len > n) {
      return Utf8Problem{i, "sequence starting with " + hex_byte(c) + " is truncated (expected " +
                                std::to_string(len) + " bytes, " + std::to_string(n - i) + " left)"};
    }
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) {
        return Utf8Problem{i, "expected a continuation byte at offset " + std::to_string(i + k) + ", got " +
                                  hex_byte(p[i + k])};
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min_cp) return Utf8Problem{i, "overlong encoding"};
    if (cp >= 0xD800 && cp <= 0xDFFF) return Utf8Problem{i, "encoded UTF-16 surrogate"};
    if (cp > 0x10FFFF) return Utf8Problem{i, "code point above U+10FFFF"};
    i += len;
  }
  return std::nullopt;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

uint32_t next_codepoint(std::string_view s, size_t& pos) {
  const auto c = static_cast<uint8_t>(s[pos]);
  const size_t len = std::min(utf8_seq_len(c), s.size() - pos);
  static constexpr uint8_t kLeadMask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t cp = c & kLeadMask[len];
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[pos + k]) & 0x3F);
  pos += len;
  return cp;
}

const std::string& byte_to_unicode(uint8_t b) {
  return byte_map().utf8[b];
}

std::optional<uint8_t> unicode_to_byte(uint32_t cp) {
  if (cp >= 512) return std::nullopt;
  const int16_t b = byte_map().back[cp];
  if (b < 0) return std::nullopt;
  return static_cast<uint8_t>(b);
}

std::string bytes_to_unicode_text(std::string_view raw) {
  const ByteMap& m = byte_map();
  std::string out;
  out.reserve(raw.size() * 2);
  for (char ch : raw) out += m.utf8[static_cast<uint8_t>(ch)];
  return out;
}

}  // namespace dbsa
