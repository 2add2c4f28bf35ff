#pragma once
// The paper's pool sizes (docs/METHOD.md "Blocks"): ~30k tokens of Llama-3.1 context per dataset, and ×2, ×3.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/block_layout.h"

namespace dbsa {

struct PaperPreset {
  int32_t blocks = 0;
  int32_t select = 0;
  int32_t block_demos = 50;
  BlockLayout pattern;  // the paper's S = 1, P = 2
  std::string grouping = "in-order";
  std::string order = "in-order";
};

// name: paper-30k, paper-60k, paper-90k; dataset: banking77, clinic150, nlu, trec, trec-fine. Throws
// std::invalid_argument naming the known presets or datasets.
PaperPreset paper_preset(std::string_view name, std::string_view dataset);
std::vector<std::string> paper_preset_names();

}  // namespace dbsa
