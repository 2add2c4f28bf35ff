#pragma once
// SentencePiece-style tokenizer (tokenizer.ggml.model = "llama"): spaces become U+2581, a space prefix
// is added, and adjacent pieces are merged greedily by vocabulary score (SentencePiece's BPE mode);
// what no token covers falls back to <0xXX> byte tokens, else <unk>.
#include <set>
#include <string>
#include <string_view>

#include "text/vocab_tokenizer.h"

namespace dbsa {

class SpmTokenizer final : public VocabTokenizer {
 public:
  explicit SpmTokenizer(Vocab vocab);
  TokenId newline() const override { return newline_; }

 protected:
  void encode_fragment(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  std::string normal_piece(const std::string& token_text) const override;
  bool decode_strips_prefix_space() const override { return vocab_.data().add_space_prefix; }

 private:
  // Merges one run of the normalized text that no piece can cross; `base` is its byte offset in it.
  void encode_segment(std::string_view text, size_t base, std::vector<TokenId>& out) const;

  TokenId newline_ = -1;
  // The characters some piece holds directly before a "▁": anywhere else a "▁" after another character
  // starts a run no merge crosses (every merged symbol is a piece), so each word merges on its own and
  // a megabyte of text costs a megabyte of small merges, not one merge queue over all of it.
  std::set<std::string, std::less<>> before_space_;
};

}  // namespace dbsa
