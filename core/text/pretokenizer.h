#pragma once
// Byte-level BPE pre-tokenization: splits text into words with the regex list of a named pre-tokenizer
// (tokenizer.ggml.pre), compiled once with PCRE2 in UTF mode with Unicode properties.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbsa {

// What a tokenizer.ggml.pre name selects: the regexes applied in turn, and whether BPE takes a word that
// is itself a vocabulary token whole instead of merging it (the Llama-3 and Tekken tokenizers' rule).
struct PreTokenizerSpec {
  std::vector<std::string> patterns;
  bool ignore_merges = false;
};

class PreTokenizer {
 public:
  // Throws TokenizerError for an unknown name (listing the known ones) or a regex PCRE2 rejects.
  explicit PreTokenizer(const std::string& name);
  // From explicit patterns (tests, or vocabularies we do not know by name).
  PreTokenizer(std::string name, const std::vector<std::string>& patterns);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // The spec of a known pre-tokenizer name; none when the name is unknown.
  static std::optional<PreTokenizerSpec> spec_for(std::string_view name);

  const std::string& name() const { return name_; }
  // The named spec's rule (false for explicit patterns): BPE takes a word that is a token whole.
  bool ignore_merges() const { return ignore_merges_; }
  // Applies each regex in turn to every piece of the previous stage; both the matches and the text
  // between them become pieces, so the pieces always concatenate back to the input. Input must be
  // valid UTF-8 (checked by PCRE2; a violation throws TokenizerError naming the byte offset).
  std::vector<std::string_view> split(std::string_view text) const;

 private:
  struct Regex;
  PreTokenizer(std::string name, PreTokenizerSpec spec);
  std::string name_;
  std::vector<std::unique_ptr<Regex>> regexes_;
  bool ignore_merges_ = false;
};

}  // namespace dbsa
