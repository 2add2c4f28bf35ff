#pragma once
// "a, b, c": how a list of known names (methods, datasets, orders, groupings, dtypes) is spelled in help
// texts and in errors naming what was expected, so each list is written once, where it is defined.
#include <string>
#include <string_view>
#include <vector>

namespace dbsa {

inline std::string name_list(const std::vector<std::string>& names, std::string_view sep = ", ") {
  std::string out;
  for (const auto& n : names) out.append(out.empty() ? "" : sep).append(n);
  return out;
}

}  // namespace dbsa
