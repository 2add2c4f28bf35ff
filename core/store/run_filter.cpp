#include "store/run_filter.h"

#include <charconv>
#include <stdexcept>

namespace dbsa {

bool RunFilter::matches(int64_t run_id, const RunInfo& info) const {
  if (!runs.empty() && runs.count(run_id) == 0) return false;
  if (!config.empty() && run_config_text(info.params) != config) return false;
  return run_model_matches(info, model);
}

std::string RunFilter::describe() const {
  std::string s;
  const auto add = [&s](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
  if (!model.empty()) add("model '" + model + "'");
  if (!config.empty()) add("configuration '" + config + "'");
  if (!runs.empty()) {
    std::string ids;
    for (int64_t id : runs) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    add((runs.size() == 1 ? "run " : "runs ") + ids);
  }
  return s;
}

std::set<int64_t> parse_run_ids(const std::string& text, const std::string& what) {
  std::set<int64_t> ids;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    int64_t id = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || id < 1)
      throw std::invalid_argument(what + ": expected run ids (positive integers) separated by commas, got '" +
                                  item + "' in '" + text + "'");
    ids.insert(id);
    start = end + 1;
  }
  return ids;
}

}  // namespace dbsa
