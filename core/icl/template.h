#pragma once
// Prompt text of demonstrations and queries exactly as the paper's code builds it:
//   demonstration  {x_prefix}{text}\n{y_prefix}{label}
//   pool           demonstrations joined by "\n==\n"
//   query          "\n==\n" + rstrip({x_prefix}{text}\n{y_prefix})
#include <string>
#include <string_view>
#include <vector>

#include "text/prompt_template.h"

namespace dbsa {

inline constexpr std::string_view kDemoSeparator = "\n==\n";

// The paper's five datasets: trec, trec-fine, banking77, clinic150, nlu.
std::vector<std::string> paper_dataset_names();
// "trec, trec-fine, banking77, clinic150, nlu": for errors naming the known datasets.
std::string paper_dataset_list();

// The paper's template of a dataset (one of paper_dataset_names()); throws std::invalid_argument naming
// the known datasets otherwise.
PromptTemplate paper_template(std::string_view dataset);

std::string format_demo(const PromptTemplate& t, std::string_view text, std::string_view label);
// The query without the separator: rstrip({x_prefix}{text}\n{y_prefix}) (the paper's test prompt).
std::string format_query_body(const PromptTemplate& t, std::string_view text);
// What follows the pool for a query: separator + query body.
std::string format_query(const PromptTemplate& t, std::string_view text);
// Demonstrations joined by the separator.
std::string join_demos(const std::vector<std::string>& demos);
// Removes trailing ASCII whitespace (Python's str.rstrip() on the texts these datasets contain).
std::string_view rstrip_ascii(std::string_view s);

}  // namespace dbsa
