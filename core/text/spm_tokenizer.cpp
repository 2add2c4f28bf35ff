#include "text/spm_tokenizer.h"

#include <algorithm>

#include "text/symbol_merge.h"
#include "text/unicode_bytes.h"

namespace dbsa {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space

}  // namespace

SpmTokenizer::SpmTokenizer(Vocab vocab) : VocabTokenizer(std::move(vocab)) {
  newline_ = vocab_.byte_token('\n');
  for (const std::string& piece : vocab_.data().tokens) {
    for (size_t pos = piece.find(kSpace, 1); pos != std::string::npos; pos = piece.find(kSpace, pos + 1)) {
      size_t start = pos - 1;
      while (start > 0 && (static_cast<uint8_t>(piece[start]) & 0xC0) == 0x80) --start;
      before_space_.insert(piece.substr(start, pos - start));
    }
  }
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

  // Split before every "▁" that follows a character no piece holds before one (see before_space_).
  const std::string_view tv(text);
  size_t segment = 0;
  for (size_t pos = tv.find(kSpace, 1); pos != std::string_view::npos; pos = tv.find(kSpace, pos + 1)) {
    size_t start = pos - 1;
    while (start > 0 && (static_cast<uint8_t>(tv[start]) & 0xC0) == 0x80) --start;
    if (before_space_.count(tv.substr(start, pos - start)) != 0) continue;
    encode_segment(tv.substr(segment, pos - segment), segment, out);
    segment = pos;
  }
  encode_segment(tv.substr(segment), segment, out);
}

void SpmTokenizer::encode_segment(std::string_view tv, size_t base, std::vector<TokenId>& out) const {
  std::vector<MergeSymbol> symbols = utf8_symbols(tv);
  // Highest score of the merged piece first; only pieces in the vocabulary can form.
  merge_symbols(symbols, [&](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<double> {
    const TokenId id = vocab_.find(tv.substr(l.begin, l.n + r.n));
    if (id < 0) return std::nullopt;
    return static_cast<double>(vocab_.score(id));
  });

  for (int i = 0; i != -1; i = symbols[static_cast<size_t>(i)].next) {
    const MergeSymbol& s = symbols[static_cast<size_t>(i)];
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
      throw TokenizerError(vocab_.source() +
                           ": the vocabulary has neither a token, byte tokens nor <unk> for \"" +
                           std::string(piece) + "\" at byte offset " + std::to_string(base + s.begin) +
                           " of the normalized input");
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
