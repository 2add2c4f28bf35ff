#include "engine/constrained_decoding.h"

#include <stdexcept>
#include <string>

#include "engine/llama_model.h"

namespace dbsa {

TokenTrie::TokenTrie() {
  nodes_.emplace_back();
}

void TokenTrie::insert(std::span<const int32_t> tokens, int32_t label) {
  if (tokens.empty())
    throw std::invalid_argument("token trie: label " + std::to_string(label) + " has no tokens");
  if (label < 0) throw std::invalid_argument("token trie: labels must be >= 0");
  int32_t cur = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (nodes_[static_cast<size_t>(cur)].label >= 0)
      throw std::invalid_argument("token trie: label " + std::to_string(label) + " extends label " +
                                  std::to_string(nodes_[static_cast<size_t>(cur)].label) +
                                  " (end the shorter one with a separator token)");
    auto& ch = nodes_[static_cast<size_t>(cur)].children;
    auto it = ch.find(tokens[i]);
    if (it == ch.end()) {
      const auto next = static_cast<int32_t>(nodes_.size());
      nodes_[static_cast<size_t>(cur)].children.emplace(tokens[i], next);
      nodes_.emplace_back();
      cur = next;
    } else {
      cur = it->second;
    }
  }
  Node& end = nodes_[static_cast<size_t>(cur)];
  if (end.label >= 0)
    throw std::invalid_argument("token trie: labels " + std::to_string(end.label) + " and " +
                                std::to_string(label) + " have the same tokens");
  if (!end.children.empty())
    throw std::invalid_argument("token trie: label " + std::to_string(label) +
                                " is a prefix of another (end it with a separator token)");
  end.label = label;
  max_depth_ = std::max(max_depth_, static_cast<int32_t>(tokens.size()));
}

ConstrainedResult constrained_greedy(LlamaModel& model, KvCache& cache, const TokenTrie& trie,
                                     std::span<const float> first_logits) {
  ConstrainedResult r;
  if (trie.node(trie.root()).children.empty())
    throw std::invalid_argument("constrained decoding: empty trie");
  std::vector<float> logits(first_logits.begin(), first_logits.end());
  int32_t cur = trie.root();
  for (;;) {
    const auto& node = trie.node(cur);
    int32_t best_tok = -1, best_node = -1;
    float best = 0.0f;
    for (const auto& [tok, child] : node.children) {
      if (tok < 0 || static_cast<size_t>(tok) >= logits.size())
        throw std::out_of_range("constrained decoding: token " + std::to_string(tok) +
                                " outside the vocabulary");
      const float v = logits[static_cast<size_t>(tok)];
      if (best_tok < 0 || v > best) {
        best = v;
        best_tok = tok;
        best_node = child;
      }
    }
    r.tokens.push_back(best_tok);
    r.logits.push_back(best);
    cur = best_node;
    if (trie.node(cur).label >= 0) {
      r.label = trie.node(cur).label;
      return r;
    }
    const int32_t one[1] = {best_tok};
    ForwardRequest req;
    req.tokens = one;
    logits = model.forward(cache, req).logits;
  }
}

}  // namespace dbsa
