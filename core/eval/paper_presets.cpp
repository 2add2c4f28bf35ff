#include "eval/paper_presets.h"

#include <array>
#include <stdexcept>
#include <string>

namespace dbsa {
namespace {

struct DatasetSize {
  std::string_view dataset;
  int32_t blocks, select;  // at ~30k tokens
};
constexpr std::array<DatasetSize, 5> kSizes{
    {{"banking77", 16, 6}, {"clinic150", 20, 7}, {"nlu", 22, 7}, {"trec", 21, 7}, {"trec-fine", 20, 7}}};

}  // namespace

std::vector<std::string> paper_preset_names() {
  return {"paper-30k", "paper-60k", "paper-90k"};
}

PaperPreset paper_preset(std::string_view name, std::string_view dataset) {
  int32_t scale = 0;
  if (name == "paper-30k") scale = 1;
  if (name == "paper-60k") scale = 2;
  if (name == "paper-90k") scale = 3;
  if (scale == 0)
    throw std::invalid_argument("--preset '" + std::string(name) +
                                "': expected paper-30k, paper-60k or paper-90k");
  for (const auto& s : kSizes) {
    if (s.dataset != dataset) continue;
    PaperPreset p;
    p.blocks = s.blocks * scale;
    p.select = s.select * scale;
    return p;
  }
  throw std::invalid_argument("--preset " + std::string(name) + ": no paper pool size for dataset '" +
                              std::string(dataset) +
                              "' (expected banking77, clinic150, nlu, trec or trec-fine)");
}

}  // namespace dbsa
