#include "text/vocab_tokenizer.h"

#include "text/special_tokens.h"
#include "text/unicode_bytes.h"

namespace dbsa {

VocabTokenizer::VocabTokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}

std::vector<TokenId> VocabTokenizer::encode(std::string_view text, const EncodeOptions& opts) const {
  if (const auto bad = find_invalid_utf8(text)) {
    throw TokenizerError("tokenizer of " + vocab_.source() + ": input is not valid UTF-8 at byte offset " +
                         std::to_string(bad->offset) + " (" + bad->what + ")");
  }
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 2);
  const VocabData& d = vocab_.data();
  if (opts.add_bos && d.add_bos && d.bos >= 0) out.push_back(d.bos);
  bool after_special = opts.space_prefix;
  for (const Fragment& f : split_special_tokens(text, vocab_, opts.parse_special)) {
    if (f.token >= 0) {
      out.push_back(f.token);
      after_special = true;
    } else {
      encode_fragment(f.text, after_special, out);
      after_special = false;
    }
  }
  if (opts.add_eos && d.add_eos && d.eos >= 0) out.push_back(d.eos);
  return out;
}

std::string VocabTokenizer::token_to_piece(TokenId id, bool render_special) const {
  const TokenType t = vocab_.type(id);
  switch (t) {
    case TokenType::Normal:
      return normal_piece(vocab_.text(id));
    case TokenType::UserDefined:
      return vocab_.text(id);
    case TokenType::Byte: {
      const int32_t b = vocab_.byte_value(id);
      return std::string(1, static_cast<char>(b));
    }
    case TokenType::Control:
    case TokenType::Unknown:
      return render_special ? vocab_.text(id) : std::string();
    case TokenType::Undefined:
    case TokenType::Unused:
      break;
  }
  // Like the reference: token types a model never produces render as nothing.
  return {};
}

std::string VocabTokenizer::decode(const std::vector<TokenId>& ids, bool render_special) const {
  std::string out;
  bool strip_pending = decode_strips_prefix_space();
  for (TokenId id : ids) {
    std::string piece = token_to_piece(id, render_special);
    const TokenType t = vocab_.type(id);
    if (t == TokenType::Control || t == TokenType::Unknown) {
      out += piece;
      continue;
    }
    // The encoder put one space in front of the first word; the first text token carries it.
    if (strip_pending && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    strip_pending = false;
    out += piece;
  }
  return out;
}

}  // namespace dbsa
