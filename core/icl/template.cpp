#include "icl/template.h"
#include "util/name_list.h"

#include <stdexcept>

namespace dbsa {

std::vector<std::string> paper_dataset_names() {
  return {"trec", "trec-fine", "banking77", "clinic150", "nlu"};
}

std::string paper_dataset_list() {
  return name_list(paper_dataset_names());
}

PromptTemplate paper_template(std::string_view dataset) {
  if (dataset == "trec" || dataset == "trec-fine") return {"Question: ", "Type: "};
  if (dataset == "banking77") return {"query: ", "intent: "};
  if (dataset == "clinic150" || dataset == "nlu") return {"utterance: ", "intent: "};
  throw std::invalid_argument("no paper template for dataset '" + std::string(dataset) +
                              "' (known: " + paper_dataset_list() + ")");
}

std::string format_demo(const PromptTemplate& t, std::string_view text, std::string_view label) {
  std::string s;
  s.reserve(t.x_prefix.size() + text.size() + 1 + t.y_prefix.size() + label.size());
  s.append(t.x_prefix).append(text).append("\n").append(t.y_prefix).append(label);
  return s;
}

std::string_view rstrip_ascii(std::string_view s) {
  // Python's str.isspace() set restricted to ASCII: space, \t, \n, \v, \f, \r and the separators
  // 0x1c-0x1f.
  auto is_space = [](unsigned char c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  };
  while (!s.empty() && is_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string format_query_body(const PromptTemplate& t, std::string_view text) {
  std::string s = format_demo(t, text, "");
  s.resize(rstrip_ascii(s).size());
  return s;
}

std::string format_query(const PromptTemplate& t, std::string_view text) {
  return std::string(kDemoSeparator) + format_query_body(t, text);
}

std::string join_demos(const std::vector<std::string>& demos) {
  std::string s;
  for (std::size_t i = 0; i < demos.size(); ++i) {
    if (i) s.append(kDemoSeparator);
    s.append(demos[i]);
  }
  return s;
}

}  // namespace dbsa
