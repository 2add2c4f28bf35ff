#pragma once
// SentencePiece-style tokenizer (tokenizer.ggml.model = "llama"): spaces become U+2581, a space prefix
// is added, and adjacent pieces are merged greedily by vocabulary score (SentencePiece's BPE mode);
// what no token covers falls back to <0xXX> byte tokens, else <unk>.
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
  TokenId newline_ = -1;
};

}  // namespace dbsa
