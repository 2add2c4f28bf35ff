#include "method/attention_mass.h"

#include <stdexcept>
#include <string>

namespace dbsa {

AttentionMass attention_mass(const AttentionCapture& capture, const std::vector<SelectedBlock>& blocks) {
  AttentionMass m;
  m.blocks.assign(blocks.size(), 0.0);
  size_t context = 0;
  for (const auto& b : blocks) context += static_cast<size_t>(b.n_tokens);
  if (capture.weights.empty()) return m;
  for (size_t r = 0; r < capture.weights.size(); ++r) {
    const auto& row = capture.weights[r];
    if (row.size() < context)
      throw std::invalid_argument("attention mass: query token " + std::to_string(r) + " has " +
                                  std::to_string(row.size()) + " weights, fewer than the " +
                                  std::to_string(context) + " tokens of the selected blocks");
    size_t col = 0;
    for (size_t b = 0; b < blocks.size(); ++b)
      for (int32_t i = 0; i < blocks[b].n_tokens; ++i) m.blocks[b] += row[col++];
    for (; col < row.size(); ++col) m.query += row[col];
  }
  const double n = static_cast<double>(capture.weights.size());
  for (double& v : m.blocks) v /= n;
  m.query /= n;
  return m;
}

}  // namespace dbsa
