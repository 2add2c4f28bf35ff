#pragma once
// Which finished runs a report or a chart takes: one model, one configuration, chosen runs. One rule for
// `dbsa report`, `dbsa chart`, the Charts page and the Runs page's "Chart selected runs", so a filter
// picks the same runs wherever it is typed.
#include <cstdint>
#include <set>
#include <string>

#include "store/run_record.h"

namespace dbsa {

struct RunFilter {
  std::string model;       // run_model_matches; empty: every model
  std::string config;      // run_config_text, exactly; empty: every configuration
  std::set<int64_t> runs;  // row ids; empty: every run

  bool empty() const { return model.empty() && config.empty() && runs.empty(); }
  bool matches(int64_t run_id, const RunInfo& info) const;
  // What the filter keeps, for messages: "model 'm.gguf', configuration 'blocks=…', runs 3, 4"; empty
  // when it keeps everything.
  std::string describe() const;
};

// "3,4,7" → {3, 4, 7}; throws std::invalid_argument naming `what` and the bad item otherwise.
std::set<int64_t> parse_run_ids(const std::string& text, const std::string& what);

}  // namespace dbsa
