#include "text/bpe_tokenizer.h"

#include <algorithm>

#include "text/symbol_merge.h"
#include "text/unicode_bytes.h"

namespace dbsa {

namespace {

// The vocabulary's pre-tokenizer; its errors name the file and the key.
PreTokenizer pre_tokenizer_of(const Vocab& v) {
  try {
    return PreTokenizer(v.data().pre);
  } catch (const TokenizerError& e) {
    throw TokenizerError(v.source() + ": key 'tokenizer.ggml.pre': " + e.what());
  }
}

}  // namespace

BpeTokenizer::BpeTokenizer(Vocab vocab) : VocabTokenizer(std::move(vocab)), pre_(pre_tokenizer_of(vocab_)) {
  newline_ = vocab_.find(byte_to_unicode('\n'));
}

void BpeTokenizer::encode_fragment(std::string_view text, bool /*after_special*/,
                                   std::vector<TokenId>& out) const {
  for (std::string_view word : pre_.split(text)) encode_word(bytes_to_unicode_text(word), out);
}

void BpeTokenizer::encode_word(const std::string& word, std::vector<TokenId>& out) const {
  if (pre_.ignore_merges()) {
    const TokenId id = vocab_.find(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  std::vector<MergeSymbol> symbols = utf8_symbols(word);
  const std::string_view wv(word);
  std::string scratch;
  // Lowest rank first: the order in which the merges were learned.
  merge_symbols(symbols, [&](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<double> {
    const int32_t rank = vocab_.merge_rank(wv.substr(l.begin, l.n), wv.substr(r.begin, r.n), scratch);
    if (rank < 0) return std::nullopt;
    return -static_cast<double>(rank);
  });

  for (int i = 0; i != -1; i = symbols[static_cast<size_t>(i)].next) {
    const MergeSymbol& s = symbols[static_cast<size_t>(i)];
    const std::string_view piece = wv.substr(s.begin, s.n);
    const TokenId id = vocab_.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // A merge result that is not a token (inconsistent vocabulary): fall back to its characters.
    for (size_t off = 0; off < piece.size();) {
      const size_t len = std::min(utf8_seq_len(static_cast<uint8_t>(piece[off])), piece.size() - off);
      const TokenId cid = vocab_.find(piece.substr(off, len));
      if (cid < 0) {
        throw TokenizerError(vocab_.source() + ": byte-level vocabulary has no token for the character \"" +
                             std::string(piece.substr(off, len)) + "\" (mapped input byte)");
      }
      out.push_back(cid);
      off += len;
    }
  }
}

std::string BpeTokenizer::normal_piece(const std::string& token_text) const {
  std::string out;
  out.reserve(token_text.size());
  for (size_t pos = 0; pos < token_text.size();) {
    const size_t start = pos;
    const uint32_t cp = next_codepoint(token_text, pos);
    if (const auto b = unicode_to_byte(cp)) {
      out += static_cast<char>(*b);
    } else {
      // Not a byte-level character (added tokens of some vocabularies): keep the text as it is.
      out.append(token_text, start, pos - start);
    }
  }
  return out;
}

}  // namespace dbsa
