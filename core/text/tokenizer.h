#pragma once
// Tokenizers read from a GGUF file's tokenizer.ggml.* metadata: SentencePiece-style (model "llama")
// and byte-level BPE (model "gpt2" with the pre-tokenizer named by tokenizer.ggml.pre).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/gguf_file.h"

namespace dbsa {

using TokenId = int32_t;

class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6
};

struct EncodeOptions {
  // Honoured only when the tokenizer says add_bos_token (or it is unset and the model adds BOS).
  bool add_bos = true;
  bool add_eos = false;        // likewise for add_eos_token
  bool parse_special = false;  // recognise control/user-defined token texts inside the input
  // SentencePiece only: put the "▁" prefix in front of the first word (when the vocabulary's
  // add_space_prefix says so). false encodes text that continues earlier text, e.g. a block of a pool
  // that is tokenized on its own but must match the tokens of the joined pool.
  bool space_prefix = true;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Builds the tokenizer the file describes; throws TokenizerError naming the file and key otherwise.
  // The tokenizer copies what it needs: the file may be closed afterwards. encode/decode are const and
  // keep no state between calls, so one tokenizer may serve several threads.
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& f);

  // Text to ids. add_bos/add_eos in opts are requests; they are applied where the vocabulary's
  // add_bos_token/add_eos_token (or the model type's default) allows.
  virtual std::vector<TokenId> encode(std::string_view text, const EncodeOptions& opts = {}) const = 0;
  // Ids to text (control tokens skipped unless render_special). SentencePiece: the space the encoder
  // prefixed to the first word is removed again, so decode(encode(x)) == x for valid UTF-8 x (SentencePiece:
  // unless x contains U+2581 itself, which decodes to a space as in the reference).
  virtual std::string decode(const std::vector<TokenId>& ids, bool render_special = false) const = 0;
  // The text of one token as it appears in output (byte tokens become their byte).
  virtual std::string token_to_piece(TokenId id, bool render_special = false) const = 0;

  virtual std::string_view model_name() const = 0;  // "llama" or "gpt2"
  virtual std::string_view pre_name()
      const = 0;  // pre-tokenizer ("default", "llama-bpe", "gpt-2", "qwen2", ...)
  virtual int32_t n_vocab() const = 0;
  virtual const std::string& token_text(TokenId id) const = 0;  // raw vocabulary entry
  virtual TokenType token_type(TokenId id) const = 0;
  virtual TokenId bos() const = 0;  // -1 when none
  virtual TokenId eos() const = 0;
  virtual TokenId newline() const = 0;  // the token of "\n" (SPM: <0x0A>)
  virtual bool adds_bos() const = 0;
  virtual bool adds_eos() const = 0;
};

}  // namespace dbsa
