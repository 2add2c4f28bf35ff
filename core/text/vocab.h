#pragma once
// A tokenizer vocabulary: token texts, scores, types, BPE merges and special ids, with the hash indexes
// the tokenizers look things up in. Loaded from a GGUF file's tokenizer.ggml.* keys or built from plain
// data (tests).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/gguf_file.h"
#include "text/tokenizer.h"

namespace dbsa {

// The raw content of a vocabulary, as stored in a file.
struct VocabData {
  std::string source = "<memory>";  // file the data came from, named in error messages
  std::string model;                // tokenizer.ggml.model: "llama" or "gpt2"
  std::string pre = "default";      // tokenizer.ggml.pre
  std::vector<std::string> tokens;
  std::vector<float> scores;        // empty: all 0
  std::vector<TokenType> types;     // empty: all Normal
  std::vector<std::string> merges;  // "left right", rank = index (byte-level BPE only)
  TokenId bos = -1;
  TokenId eos = -1;
  TokenId unk = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;
};

// Reads the tokenizer.ggml.* keys with the defaults of the reference implementation per model type.
// Throws TokenizerError naming the file and the key on a missing or malformed entry.
VocabData read_vocab_data(const GgufFile& f);

class Vocab {
 public:
  // Validates (lengths equal, ids in range, merges well formed) and builds the indexes.
  explicit Vocab(VocabData data);

  const VocabData& data() const { return d_; }
  const std::string& source() const { return d_.source; }
  int32_t size() const { return static_cast<int32_t>(d_.tokens.size()); }
  bool valid(TokenId id) const { return id >= 0 && id < size(); }
  const std::string& text(TokenId id) const;  // throws TokenizerError when id is out of range
  TokenType type(TokenId id) const;
  float score(TokenId id) const { return d_.scores.empty() ? 0.0f : d_.scores[static_cast<size_t>(id)]; }

  // Exact text lookup; -1 when the vocabulary has no such token.
  TokenId find(std::string_view text) const;
  // Rank of the merge "left right"; -1 when there is none. `scratch` avoids an allocation per lookup.
  int32_t merge_rank(std::string_view left, std::string_view right, std::string& scratch) const;
  // SentencePiece byte fallback: the token of <0xXX>, else the token whose text is that byte, else -1.
  TokenId byte_token(uint8_t b) const { return byte_tokens_[b]; }
  // Value of a Byte-type token (<0xXX>); -1 for other tokens.
  int32_t byte_value(TokenId id) const;

  // Tokens that split the input before tokenization (control, user-defined, unknown), longest first.
  const std::vector<TokenId>& special_tokens() const { return special_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, int32_t, Hash, std::equal_to<>>;

  VocabData d_;
  Index token_index_;
  Index merge_index_;
  std::vector<TokenId> byte_tokens_ = std::vector<TokenId>(256, -1);
  std::vector<int16_t> byte_values_;
  std::vector<TokenId> special_;
};

}  // namespace dbsa
