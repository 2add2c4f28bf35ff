#include "eval/sweep.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>

namespace dbsa {
namespace {

int32_t positive_int(std::string_view knob, std::string_view v) {
  int32_t n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < 1)
    throw std::invalid_argument("--vary " + std::string(knob) + ": expected integers >= 1, got '" +
                                std::string(v) + "'");
  return n;
}

}  // namespace

std::vector<std::string> sweep_knobs() {
  return {"sink", "prev", "select", "grouping", "order", "block-demos", "blocks"};
}

SweepAxis parse_vary(std::string_view text) {
  const auto eq = text.find('=');
  const auto knobs = sweep_knobs();
  SweepAxis a;
  a.knob = std::string(text.substr(0, eq == std::string_view::npos ? text.size() : eq));
  if (eq == std::string_view::npos || std::find(knobs.begin(), knobs.end(), a.knob) == knobs.end())
    throw std::invalid_argument("--vary '" + std::string(text) +
                                "': expected knob=v1,v2,... with knob one of sink, prev, select, grouping, "
                                "order, block-demos, blocks");
  std::set<std::string> seen;
  const std::string_view list = text.substr(eq + 1);
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    std::string v(list.substr(start, comma - start));
    if (v.empty() || !seen.insert(v).second)
      throw std::invalid_argument("--vary " + a.knob + ": empty or repeated value in '" + std::string(list) +
                                  "'");
    a.values.push_back(std::move(v));
    start = comma + 1;
  }
  return a;
}

void set_knob(EvalConfig& c, std::string_view knob, std::string_view value) {
  if (knob == "sink") {
    c.pattern.sink = parse_block_count(value, "--vary sink");
  } else if (knob == "prev") {
    c.pattern.prev = parse_block_count(value, "--vary prev");
  } else if (knob == "select") {
    c.select = parse_block_count(value, "--vary select", 1);
  } else if (knob == "block-demos") {
    c.block_demos = positive_int(knob, value);
  } else if (knob == "blocks") {
    c.blocks = positive_int(knob, value);
  } else if (knob == "grouping") {
    c.grouping = std::string(value);
  } else if (knob == "order") {
    c.order = std::string(value);
  } else {
    throw std::invalid_argument("--vary: unknown knob '" + std::string(knob) + "'");
  }
}

std::vector<EvalConfig> expand_sweep(const EvalConfig& base, const std::vector<SweepAxis>& axes) {
  std::set<std::string> knobs;
  for (const auto& a : axes)
    if (!knobs.insert(a.knob).second) throw std::invalid_argument("--vary " + a.knob + " is given twice");
  std::vector<EvalConfig> points{base};
  for (const auto& a : axes) {
    std::vector<EvalConfig> next;
    for (const auto& p : points)
      for (const auto& v : a.values) {
        EvalConfig c = p;
        set_knob(c, a.knob, v);
        next.push_back(std::move(c));
      }
    points = std::move(next);
  }
  return points;
}

}  // namespace dbsa
