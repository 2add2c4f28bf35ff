#pragma once
// Greedy decoding restricted to a set of token sequences (class labels): a trie of the sequences; at
// each step only tokens that stay inside the trie are candidates, the best of them by logit is taken,
// and decoding stops when a sequence is complete.
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "engine/kv_cache.h"

namespace dbsa {

class LlamaModel;

class TokenTrie {
 public:
  TokenTrie();
  // Adds a sequence tagged with `label`; throws when it is empty, duplicates another, or when one
  // sequence is a prefix of another (decoding could not tell where it ends: end the shorter with a
  // separator token such as the newline).
  void insert(std::span<const int32_t> tokens, int32_t label);

  struct Node {
    std::map<int32_t, int32_t> children;  // token -> node index
    int32_t label = -1;                   // >= 0 where a sequence ends
  };
  const Node& node(int32_t i) const { return nodes_[static_cast<size_t>(i)]; }
  int32_t root() const { return 0; }
  int32_t max_depth() const { return max_depth_; }

 private:
  std::vector<Node> nodes_;
  int32_t max_depth_ = 0;
};

struct ConstrainedResult {
  int32_t label = -1;
  std::vector<int32_t> tokens;
  std::vector<float> logits;  // logit of each chosen token
};

// first_logits: logits after the prompt (its last position). Feeds chosen tokens through the model
// (appending to cache) until a label completes.
ConstrainedResult constrained_greedy(LlamaModel& model, KvCache& cache, const TokenTrie& trie,
                                     std::span<const float> first_logits);

}  // namespace dbsa
