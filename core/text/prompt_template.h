#pragma once
// The two strings that turn a demonstration or a query into prompt text (icl/template.h formats them).
// Kept in the text layer so a cache's manifest (cache/cache_manifest.h) can record the template it was
// built with without depending on the ICL layer above it.
#include <string>

namespace dbsa {

struct PromptTemplate {
  std::string x_prefix;
  std::string y_prefix;
  bool operator==(const PromptTemplate&) const = default;
};

}  // namespace dbsa
