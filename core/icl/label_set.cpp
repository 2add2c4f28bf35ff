#include "icl/label_set.h"

#include <algorithm>
#include <stdexcept>

namespace dbsa {
namespace {

bool starts_with(const std::vector<TokenId>& seq, const std::vector<TokenId>& prefix, std::size_t len) {
  return seq.size() >= len && prefix.size() >= len &&
         std::equal(prefix.begin(), prefix.begin() + static_cast<std::ptrdiff_t>(len), seq.begin());
}

}  // namespace

LabelSet shorten_labels(std::vector<std::string> labels, std::vector<std::vector<TokenId>> tokens,
                        TokenId newline_token) {
  if (labels.size() != tokens.size()) throw std::invalid_argument("shorten_labels: one token list per label");
  const std::size_t n = tokens.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (tokens[i].empty()) throw std::invalid_argument("label '" + labels[i] + "' has no tokens");
    // The newline ends prefix labels; inside a label, padding could make two labels decode alike.
    if (std::find(tokens[i].begin(), tokens[i].end(), newline_token) != tokens[i].end())
      throw std::invalid_argument("label '" + labels[i] + "' contains the newline token, which ends labels");
    for (std::size_t j = 0; j < i; ++j)
      if (tokens[i] == tokens[j])
        throw std::invalid_argument("labels '" + labels[j] + "' and '" + labels[i] +
                                    "' have the same tokens");
  }
  LabelSet s;
  s.labels = std::move(labels);
  s.full_tokens = std::move(tokens);
  s.decode_tokens.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = s.full_tokens[i];
    // Shortest length L (1..size-1, as the paper's loop) at which no other label starts with t[0..L).
    std::size_t keep = t.size();
    for (std::size_t len = 1; len < t.size(); ++len) {
      bool shared = false;
      for (std::size_t j = 0; j < n && !shared; ++j) shared = j != i && starts_with(s.full_tokens[j], t, len);
      if (!shared) {
        keep = len;
        break;
      }
    }
    s.decode_tokens[i].assign(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(keep));
  }
  std::vector<char> contained(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (j != i && starts_with(s.decode_tokens[j], s.decode_tokens[i], s.decode_tokens[i].size()))
        contained[i] = 1;
  for (std::size_t i = 0; i < n; ++i) {
    if (contained[i]) s.decode_tokens[i].push_back(newline_token);
    s.max_steps = std::max(s.max_steps, s.decode_tokens[i].size());
  }
  return s;
}

std::vector<TokenId> LabelSet::allowed_next(const std::vector<TokenId>& produced) const {
  std::vector<TokenId> next;
  for (const auto& t : decode_tokens)
    if (t.size() > produced.size() && starts_with(t, produced, produced.size()))
      next.push_back(t[produced.size()]);
  if (match(produced) >= 0) return {};
  std::sort(next.begin(), next.end());
  next.erase(std::unique(next.begin(), next.end()), next.end());
  return next;
}

int LabelSet::match(const std::vector<TokenId>& produced) const {
  for (std::size_t i = 0; i < decode_tokens.size(); ++i)
    if (decode_tokens[i] == produced) return static_cast<int>(i);
  return -1;
}

std::vector<TokenId> tokenize_label(const Tokenizer& tok, const std::string& label) {
  EncodeOptions o;
  o.add_bos = false;
  o.add_eos = false;
  return tok.encode(tok.model_name() == "llama" ? label : " " + label, o);
}

LabelSet make_label_set(const Tokenizer& tok, const std::vector<std::string>& labels) {
  std::vector<std::vector<TokenId>> tokens;
  tokens.reserve(labels.size());
  for (const auto& l : labels) tokens.push_back(tokenize_label(tok, l));
  if (tok.newline() < 0)
    throw TokenizerError("the vocabulary has no newline token, needed to end prefix labels");
  return shorten_labels(labels, std::move(tokens), tok.newline());
}

}  // namespace dbsa
