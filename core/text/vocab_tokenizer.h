#pragma once
// What SentencePiece-style and byte-level BPE tokenizers share: the vocabulary accessors, BOS/EOS
// handling, special-token splitting, input validation and the decode loop. Subclasses tokenize one raw
// text fragment and render one normal token.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer.h"
#include "text/vocab.h"

namespace dbsa {

class VocabTokenizer : public Tokenizer {
 public:
  explicit VocabTokenizer(Vocab vocab);

  std::vector<TokenId> encode(std::string_view text, const EncodeOptions& opts = {}) const override;
  std::string decode(const std::vector<TokenId>& ids, bool render_special = false) const override;
  std::string token_to_piece(TokenId id, bool render_special = false) const override;

  std::string_view model_name() const override { return vocab_.data().model; }
  std::string_view pre_name() const override { return vocab_.data().pre; }
  int32_t n_vocab() const override { return vocab_.size(); }
  const std::string& token_text(TokenId id) const override { return vocab_.text(id); }
  TokenType token_type(TokenId id) const override { return vocab_.type(id); }
  TokenId bos() const override { return vocab_.data().bos; }
  TokenId eos() const override { return vocab_.data().eos; }
  bool adds_bos() const override { return vocab_.data().add_bos; }
  bool adds_eos() const override { return vocab_.data().add_eos; }

  const Vocab& vocab() const { return vocab_; }

 protected:
  // Tokenizes one fragment of raw text; `after_special` is true at the start of the input and right
  // after a special token (where SentencePiece adds its space prefix).
  virtual void encode_fragment(std::string_view text, bool after_special,
                               std::vector<TokenId>& out) const = 0;
  // Output text of a Normal token.
  virtual std::string normal_piece(const std::string& token_text) const = 0;
  // Whether decode drops the space the encoder prefixed to the first word.
  virtual bool decode_strips_prefix_space() const { return false; }

  Vocab vocab_;
};

// The tokenizer for the vocabulary's model type ("llama" or "gpt2"); Tokenizer::from_gguf uses it, and
// tests build tokenizers from hand-made vocabularies with it.
std::unique_ptr<Tokenizer> make_tokenizer(Vocab vocab);

}  // namespace dbsa
