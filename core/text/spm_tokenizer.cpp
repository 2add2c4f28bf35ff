#include "text/spm_tokenizer.h"

#include <algorithm>
#include <queue>

#include "text/unicode_bytes.h"

namespace dbsa {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space

// A run of the input: one UTF-8 character at first, grown by merges. Merged-away symbols keep n == 0.
struct Symbol {
  int prev;
  int next;
  size_t begin;
  size_t n;
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t size;
};

// Highest score first; among equal scores the leftmost pair, which makes the result deterministic and
// equal to the reference.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

SpmTokenizer::SpmTokenizer(Vocab vocab) : VocabTokenizer(std::move(vocab)) {
  newline_ = vocab_.byte_token('\n');
}

void SpmTokenizer::encode_fragment(std::string_view raw, bool after_special,
                                   std::vector<TokenId>& out) const {
  std::string text;
  text.reserve(raw.size() + raw.size() / 4 + kSpace.size());
  if (after_special && vocab_.data().add_space_prefix) text += kSpace;
  for (char c : raw) {
    if (c == ' ') {
      text += kSpace;
    } else {
      text += c;
    }
  }
  if (text.empty()) return;

  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t off = 0; off < text.size();) {
    const size_t len = std::min(utf8_seq_len(static_cast<uint8_t>(text[off])), text.size() - off);
    const int idx = static_cast<int>(symbols.size());
    symbols.push_back(Symbol{idx - 1, off + len == text.size() ? -1 : idx + 1, off, len});
    off += len;
  }

  std::vector<Bigram> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue(BigramOrder{}, std::move(storage));
  const std::string_view tv(text);
  const auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    const size_t size = l.n + r.n;
    const TokenId id = vocab_.find(tv.substr(l.begin, size));
    if (id < 0) return;
    queue.push(Bigram{left, right, vocab_.score(id), size});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[static_cast<size_t>(b.left)];
    Symbol& r = symbols[static_cast<size_t>(b.right)];
    // Stale entry: one side was merged into something else since it was queued.
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (int i = 0; i != -1; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& s = symbols[static_cast<size_t>(i)];
    const std::string_view piece = tv.substr(s.begin, s.n);
    // Every merged symbol is a vocabulary entry by construction; only single characters can miss.
    const TokenId id = vocab_.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    bool all_bytes = true;
    for (char c : piece) all_bytes = all_bytes && vocab_.byte_token(static_cast<uint8_t>(c)) >= 0;
    if (all_bytes) {
      for (char c : piece) out.push_back(vocab_.byte_token(static_cast<uint8_t>(c)));
    } else if (vocab_.data().unk >= 0) {
      out.push_back(vocab_.data().unk);  // one <unk> per uncovered character, as SentencePiece does
    } else {
      throw TokenizerError(
          vocab_.source() + ": the vocabulary has neither a token, byte tokens nor <unk> for \"" +
          std::string(piece) + "\" at byte offset " + std::to_string(s.begin) + " of the normalized input");
    }
  }
}

std::string SpmTokenizer::normal_piece(const std::string& token_text) const {
  std::string out;
  out.reserve(token_text.size());
  for (size_t i = 0; i < token_text.size();) {
    if (token_text.compare(i, kSpace.size(), kSpace) == 0) {
      out += ' ';
      i += kSpace.size();
    } else {
      out += token_text[i++];
    }
  }
  return out;
}

}  // namespace dbsa
