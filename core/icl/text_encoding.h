#pragma once
// TREC is latin-1; every other dataset is UTF-8 (checked with text/unicode_bytes.h's find_invalid_utf8).
#include <string>
#include <string_view>

namespace dbsa {

// Every latin-1 byte is the code point of the same value, so the conversion cannot fail.
std::string latin1_to_utf8(std::string_view latin1);

}  // namespace dbsa
