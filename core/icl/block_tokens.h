#pragma once
// Tokens of blocks and queries as the paper's code makes them: no special tokens; block 0 is encoded as
// is; every later block and every query is encoded as "\n==\n" + text with SentencePiece's dummy-prefix
// "▁" token dropped (the paper drops token 29871 for Llama-2; byte-level BPE adds no prefix, so nothing
// is dropped). The block tokens then line up with the tokens of the joined pool at the block boundaries
// whenever the tokenizer does not merge across "\n" (check_block_tokens tells).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "icl/template.h"
#include "text/tokenizer.h"

namespace dbsa {

// Encodes a text that starts with the separator, without BOS/EOS, dropping a leading bare "▁" token of
// a SentencePiece ("llama") vocabulary.
std::vector<TokenId> encode_after_separator(const Tokenizer& tok, std::string_view text);

// One token list per block; bos = true prepends the tokenizer's BOS to block 0 (`--bos`; the paper adds
// none). Throws TokenizerError when bos is requested and the vocabulary has no BOS.
std::vector<std::vector<TokenId>> tokenize_blocks(const Tokenizer& tok, const std::vector<std::string>& texts,
                                                  bool bos = false);

// The query's tokens: encode_after_separator(format_query(prompt, text)).
std::vector<TokenId> tokenize_query(const Tokenizer& tok, const PromptTemplate& prompt,
                                    std::string_view text);

struct BlockTokenCheck {
  bool equal = false;  // concatenated block tokens == tokens of the joined pool text
  std::size_t joined_tokens = 0;
  std::size_t block_tokens = 0;    // sum over blocks
  std::size_t first_mismatch = 0;  // index of the first differing token (== min length if one is a prefix)
};
// Compares the blocks' tokens (without BOS) with one encoding of joined_pool_text(texts).
BlockTokenCheck check_block_tokens(const Tokenizer& tok, const std::vector<std::string>& texts,
                                   const std::vector<std::vector<TokenId>>& blocks);

}  // namespace dbsa
