#include "method/retrieval_prompt.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "icl/block_tokens.h"

namespace dbsa {

std::vector<RetrievedDemo> arrange_demos(std::span<const RetrievalHit> hits, BlockOrder order) {
  std::vector<RetrievedDemo> out;
  for (const auto& h : hits) out.push_back({h.doc_id, h.score});  // retrievers return best first
  switch (order) {
    case BlockOrder::Hi2Lo:
      break;
    case BlockOrder::Lo2Hi:
      std::reverse(out.begin(), out.end());
      break;
    case BlockOrder::InOrder:
      std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.demo_id < b.demo_id; });
      break;
    case BlockOrder::Reversed:
      std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.demo_id > b.demo_id; });
      break;
  }
  return out;
}

std::vector<int32_t> retrieval_prompt_tokens(const Tokenizer& tok, const PromptTemplate& prompt,
                                             const std::vector<Example>& demos,
                                             std::span<const RetrievedDemo> chosen, bool bos) {
  if (chosen.empty()) throw std::invalid_argument("retrieval-icl: no demonstrations chosen");
  std::vector<std::string> formatted;
  for (const auto& d : chosen) {
    if (d.demo_id < 0 || static_cast<size_t>(d.demo_id) >= demos.size())
      throw std::out_of_range("retrieval-icl: demonstration " + std::to_string(d.demo_id) +
                              " outside the pool of " + std::to_string(demos.size()));
    const auto& e = demos[static_cast<size_t>(d.demo_id)];
    formatted.push_back(format_demo(prompt, e.text, e.label));
  }
  // One block holding every chosen demo: the tokenization of a pool's block 0.
  return tokenize_blocks(tok, {join_demos(formatted)}, bos).front();
}

}  // namespace dbsa
