#pragma once
// The longest token sequence a model is run on, and the one check every sequence a command assembles
// passes before its first forward pass. The limit is the model's trained context (GGUF
// `<arch>.context_length`) unless the user set another (`--max-context`, cli/cli_options.h). Too long an
// input is refused with its token count, never truncated: a cut prompt answers another question
// without saying so, and a run past the trained context degrades just as silently.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "model/model_hparams.h"

namespace dbsa {

class ContextLengthError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ContextLimit {
  int64_t tokens = 0;  // 0: none known (weights built in memory without a context length)
  std::string source;  // where the number comes from, named in every refusal
};

// hp.n_ctx_train, from "<arch>.context_length of <file name>" (model_path may be empty: no file named).
ContextLimit model_context_limit(const ModelHParams& hp, const std::string& model_path);
// The limit a command runs a model file under: max_context when > 0 (the user's `setting`: the CLI's
// `--max-context`, the studio's Model page field), else model_context_limit() with its source naming the
// setting that changes it.
ContextLimit context_limit_for(const ModelHParams& hp, const std::string& model_path, int64_t max_context,
                               std::string_view setting = "--max-context");

// The message of a refusal: "<what>: N tokens, more than the context of L tokens (<source>)", then
// "; <advice>" when advice is given.
std::string context_refusal(const ContextLimit& limit, int64_t n_tokens, std::string_view what,
                            std::string_view advice = {});

// Throws ContextLengthError with context_refusal(...) when n_tokens exceeds the limit.
void check_context(const ContextLimit& limit, int64_t n_tokens, std::string_view what,
                   std::string_view advice = {});

}  // namespace dbsa
