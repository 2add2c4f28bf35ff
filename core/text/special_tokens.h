#pragma once
// Splitting input text at the texts of special tokens before the tokenizer proper sees it.
#include <string_view>
#include <vector>

#include "text/vocab.h"

namespace dbsa {

// A piece of the input: raw text to tokenize, or an already recognised special token.
struct Fragment {
  std::string_view text;  // empty for a token fragment
  TokenId token = -1;     // >= 0 for a special token
};

// User-defined tokens always split the text (they are ordinary words the model was given); control and
// unknown tokens only when parse_special. Longer token texts are matched first, leftmost occurrence
// first, as in the reference.
std::vector<Fragment> split_special_tokens(std::string_view text, const Vocab& vocab, bool parse_special);

}  // namespace dbsa
