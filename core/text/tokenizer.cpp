#include "text/tokenizer.h"

#include "text/bpe_tokenizer.h"
#include "text/spm_tokenizer.h"
#include "text/vocab.h"

namespace dbsa {

std::unique_ptr<Tokenizer> make_tokenizer(Vocab vocab) {
  if (vocab.data().model == "llama") return std::make_unique<SpmTokenizer>(std::move(vocab));
  if (vocab.data().model == "gpt2") return std::make_unique<BpeTokenizer>(std::move(vocab));
  throw TokenizerError(vocab.source() + ": key 'tokenizer.ggml.model': unsupported tokenizer model '" +
                       vocab.data().model + "' (expected \"llama\" or \"gpt2\")");
}

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& f) {
  return make_tokenizer(Vocab(read_vocab_data(f)));
}

}  // namespace dbsa
