#pragma once
// The label strings as the model must produce them after "{y_prefix}" (which ends with a space), and
// their shortened forms for constrained decoding (docs/METHOD.md "Label decoding", the paper's
// minimize_labels_tokens + pad_contained_labels_with_stop_seq):
//   - each label's tokens are cut to the shortest prefix no other label shares (a label that never
//     becomes unique keeps all its tokens);
//   - a shortened label that is a prefix of another shortened label gets the newline token appended, so
//     decoding can end it.
// Decoding steps are at most max_steps = the longest shortened label.
#include <cstddef>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace dbsa {

struct LabelSet {
  std::vector<std::string> labels;                  // prompt wordings, index = label id
  std::vector<std::vector<TokenId>> full_tokens;    // as tokenized (with the leading space)
  std::vector<std::vector<TokenId>> decode_tokens;  // shortened (+ newline where needed)
  std::size_t max_steps = 0;

  // Tokens that may follow `produced` (a prefix of some decode_tokens), ascending; empty when `produced`
  // already completes a label or leaves the label set.
  std::vector<TokenId> allowed_next(const std::vector<TokenId>& produced) const;
  // The label whose decode_tokens equal `produced`, or -1.
  int match(const std::vector<TokenId>& produced) const;
};

// From tokenized labels: throws std::invalid_argument when two labels tokenize identically (they could
// never be told apart), a label has no tokens, or a label's tokens hold newline_token.
LabelSet shorten_labels(std::vector<std::string> labels, std::vector<std::vector<TokenId>> tokens,
                        TokenId newline_token);

// A label's tokens as they follow "{y_prefix}": SentencePiece encodes the bare label (its dummy prefix is
// the space), byte-level BPE encodes " " + label — as the paper's encode_labels does.
std::vector<TokenId> tokenize_label(const Tokenizer& tok, const std::string& label);
LabelSet make_label_set(const Tokenizer& tok, const std::vector<std::string>& labels);

}  // namespace dbsa
