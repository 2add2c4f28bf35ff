#pragma once
// Byte-level BPE tokenizer (tokenizer.ggml.model = "gpt2", as GPT-2, Llama-3 and Qwen2 use it): the
// text is split into words by the pre-tokenizer regexes, each word's bytes are mapped to printable
// characters, and adjacent symbols are merged by lowest merge rank.
#include "text/pretokenizer.h"
#include "text/vocab_tokenizer.h"

namespace dbsa {

class BpeTokenizer final : public VocabTokenizer {
 public:
  // Throws TokenizerError when the vocabulary's pre-tokenizer is unknown.
  explicit BpeTokenizer(Vocab vocab);
  TokenId newline() const override { return newline_; }

 protected:
  void encode_fragment(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  std::string normal_piece(const std::string& token_text) const override;

 private:
  void encode_word(const std::string& word, std::vector<TokenId>& out) const;

  // Its ignore_merges(): a word that is itself a token is taken as is, even where the merges would split
  // it (Llama 3, Tekken).
  PreTokenizer pre_;
  TokenId newline_ = -1;
};

}  // namespace dbsa
