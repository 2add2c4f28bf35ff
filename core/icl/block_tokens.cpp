#include "icl/block_tokens.h"

#include "icl/block_text.h"

namespace dbsa {
namespace {

EncodeOptions plain() {
  EncodeOptions o;
  o.add_bos = false;
  o.add_eos = false;
  o.parse_special = false;
  return o;
}

}  // namespace

std::vector<TokenId> encode_after_separator(const Tokenizer& tok, std::string_view text) {
  std::vector<TokenId> ids = tok.encode(text, plain());
  // SentencePiece prepends "▁" (dummy prefix) to the text; before "\n" it stays a token of its own,
  // which does not exist in the joined pool, so it goes.
  if (tok.model_name() == "llama" && !ids.empty() && tok.token_text(ids.front()) == "\xE2\x96\x81")
    ids.erase(ids.begin());
  return ids;
}

std::vector<std::vector<TokenId>> tokenize_blocks(const Tokenizer& tok, const std::vector<std::string>& texts,
                                                  bool bos) {
  std::vector<std::vector<TokenId>> out;
  out.reserve(texts.size());
  for (std::size_t b = 0; b < texts.size(); ++b) {
    if (b == 0) {
      std::vector<TokenId> ids;
      if (bos) {
        if (tok.bos() < 0) throw TokenizerError("--bos requested but the vocabulary has no BOS token");
        ids.push_back(tok.bos());
      }
      const auto body = tok.encode(texts[0], plain());
      ids.insert(ids.end(), body.begin(), body.end());
      out.push_back(std::move(ids));
    } else {
      out.push_back(encode_after_separator(tok, block_segment(texts, b)));
    }
  }
  return out;
}

std::vector<TokenId> tokenize_query(const Tokenizer& tok, const PromptTemplate& prompt,
                                    std::string_view text) {
  return encode_after_separator(tok, format_query(prompt, text));
}

BlockTokenCheck check_block_tokens(const Tokenizer& tok, const std::vector<std::string>& texts,
                                   const std::vector<std::vector<TokenId>>& blocks) {
  const std::vector<TokenId> joined = tok.encode(joined_pool_text(texts), plain());
  std::vector<TokenId> cat;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    auto first = blocks[b].begin();
    if (b == 0 && !blocks[b].empty() && tok.bos() >= 0 && blocks[b].front() == tok.bos()) ++first;
    cat.insert(cat.end(), first, blocks[b].end());
  }
  BlockTokenCheck r;
  r.joined_tokens = joined.size();
  r.block_tokens = cat.size();
  const std::size_t m = std::min(joined.size(), cat.size());
  r.first_mismatch = m;
  for (std::size_t i = 0; i < m; ++i)
    if (joined[i] != cat[i]) {
      r.first_mismatch = i;
      break;
    }
  r.equal = joined == cat;
  return r;
}

}  // namespace dbsa
