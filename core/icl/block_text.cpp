#include "icl/block_text.h"

#include <stdexcept>

namespace dbsa {

std::vector<std::string> block_texts(const std::vector<Example>& demos, const Blocks& blocks,
                                     const PromptTemplate& prompt) {
  std::vector<std::string> texts;
  texts.reserve(blocks.size());
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    std::vector<std::string> formatted;
    formatted.reserve(blocks[b].size());
    for (std::size_t i : blocks[b]) {
      if (i >= demos.size())
        throw std::out_of_range("block " + std::to_string(b) + " names demo " + std::to_string(i) + " of " +
                                std::to_string(demos.size()));
      formatted.push_back(format_demo(prompt, demos[i].text, demos[i].label));
    }
    texts.push_back(join_demos(formatted));
  }
  return texts;
}

std::string block_segment(const std::vector<std::string>& texts, std::size_t b) {
  if (b >= texts.size())
    throw std::out_of_range("block " + std::to_string(b) + " of " + std::to_string(texts.size()));
  return b == 0 ? texts[0] : std::string(kDemoSeparator) + texts[b];
}

std::string joined_pool_text(const std::vector<std::string>& texts) {
  return join_demos(texts);
}

}  // namespace dbsa
