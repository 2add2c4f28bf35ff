#include "method/method.h"

#include <stdexcept>
#include <string>

#include "method/method_factories.h"
#include "util/name_list.h"

namespace dbsa {

std::vector<std::string> method_names() {
  return {"dbsa", "full-icl", "cached-icl", "retrieval-icl", "zero-shot"};
}

bool uses_block_cache(std::string_view method) {
  return method == "dbsa" || method == "full-icl";
}

CacheLayoutSpec method_cache_layout(std::string_view method, CacheLayoutSpec spec) {
  if (method == "full-icl") spec.pattern = BlockLayout::dense();
  return spec;
}

std::optional<CacheKey> method_cache_key(std::string_view method, const MethodInputs& inputs) {
  if (!uses_block_cache(method)) return std::nullopt;
  return block_cache_key(inputs.manifest, inputs.demos, method_cache_layout(method, inputs.layout));
}

LabelSet checked_label_set(const MethodInputs& in, std::string_view method) {
  if (!in.model || !in.tok)
    throw std::invalid_argument(std::string(method) + ": needs a model and its tokenizer");
  if (in.manifest.labels.empty())
    throw std::invalid_argument(std::string(method) + ": the label set is empty");
  return make_label_set(*in.tok, in.manifest.labels);
}

std::unique_ptr<Method> make_method(std::string_view name, MethodInputs inputs) {
  if (name == "dbsa") return make_dbsa_method(std::move(inputs));
  if (name == "full-icl") return make_full_icl_method(std::move(inputs));
  if (name == "cached-icl") return make_cached_icl_method(std::move(inputs));
  if (name == "retrieval-icl") return make_retrieval_icl_method(std::move(inputs));
  if (name == "zero-shot") return make_zero_shot_method(std::move(inputs));
  throw std::invalid_argument("method '" + std::string(name) + "': expected one of " +
                              name_list(method_names()));
}

}  // namespace dbsa
