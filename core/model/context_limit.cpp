#include "model/context_limit.h"

#include <filesystem>

namespace dbsa {

ContextLimit model_context_limit(const ModelHParams& hp, const std::string& model_path) {
  ContextLimit l;
  l.tokens = hp.n_ctx_train;
  l.source = hp.arch + ".context_length";
  if (!model_path.empty()) l.source += " of " + std::filesystem::path(model_path).filename().string();
  return l;
}

ContextLimit context_limit_for(const ModelHParams& hp, const std::string& model_path, int64_t max_context,
                               std::string_view setting) {
  if (max_context > 0) return ContextLimit{max_context, std::string(setting)};
  ContextLimit l = model_context_limit(hp, model_path);
  l.source += "; " + std::string(setting) + " sets another";
  return l;
}

std::string context_refusal(const ContextLimit& limit, int64_t n_tokens, std::string_view what,
                            std::string_view advice) {
  std::string m = std::string(what) + ": " + std::to_string(n_tokens) + " tokens, more than the context of " +
                  std::to_string(limit.tokens) + " tokens (" + limit.source + ")";
  if (!advice.empty()) m += "; " + std::string(advice);
  return m;
}

void check_context(const ContextLimit& limit, int64_t n_tokens, std::string_view what,
                   std::string_view advice) {
  if (limit.tokens > 0 && n_tokens > limit.tokens)
    throw ContextLengthError(context_refusal(limit, n_tokens, what, advice));
}

}  // namespace dbsa
