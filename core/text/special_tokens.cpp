#include "text/special_tokens.h"

namespace dbsa {

std::vector<Fragment> split_special_tokens(std::string_view text, const Vocab& vocab, bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back(Fragment{text, -1});
  for (TokenId id : vocab.special_tokens()) {
    if (!parse_special && vocab.type(id) != TokenType::UserDefined) continue;
    const std::string& needle = vocab.text(id);
    std::vector<Fragment> next;
    next.reserve(frags.size());
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      for (size_t pos = rest.find(needle); pos != std::string_view::npos; pos = rest.find(needle)) {
        if (pos > 0) next.push_back(Fragment{rest.substr(0, pos), -1});
        next.push_back(Fragment{{}, id});
        rest.remove_prefix(pos + needle.size());
      }
      if (!rest.empty()) next.push_back(Fragment{rest, -1});
    }
    frags = std::move(next);
  }
  return frags;
}

}  // namespace dbsa
