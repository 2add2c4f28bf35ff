#pragma once
// The block-sparse pattern of DBSA pre-encoding, the method's central rule, in one place: the pool is
// split into blocks and a token of block b sees block c <= b iff c == b (itself), c < S (the sink
// blocks) or c >= b - P (the P previous blocks). S = P = "all" is dense causal attention (full ICL).
// The attention layout (engine/attention_layout.h), the pre-encoder's memory window and append context
// (method/pre_encoder.cpp), the cache key (cache/cache_key.h), the eval config, the CLI and the
// studio's Attention page all ask this type; none of them writes the rule again. Header-only, so the
// results store (core/store) prints counts the same way without linking the engine.
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dbsa {

// A block count meaning "every block": S or P of dense attention, or a query selecting every block.
inline constexpr int32_t kAllBlocks = -1;

// "all" -> kAllBlocks, else a decimal integer >= min. Throws std::invalid_argument
// "<what> must be a block count >= <min> or 'all', got '<text>'".
inline int32_t parse_block_count(std::string_view text, std::string_view what, int32_t min = 0) {
  if (text == "all") return kAllBlocks;
  int32_t n = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || n < min)
    throw std::invalid_argument(std::string(what) + " must be a block count >= " + std::to_string(min) +
                                " or 'all', got '" + std::string(text) + "'");
  return n;
}
// "all" for kAllBlocks, else the number.
inline std::string block_count_text(int32_t n) {
  return n == kAllBlocks ? std::string("all") : std::to_string(n);
}

// How block b's tokens see block c (the Attention page colours these).
enum class BlockLink : uint8_t { None = 0, Previous = 1, Sink = 2, Self = 3 };

struct BlockLayout {
  int32_t sink = 1;  // S, or kAllBlocks
  int32_t prev = 2;  // P, or kAllBlocks

  // Every block sees every earlier one: S = P = all (full ICL's pattern).
  static BlockLayout dense() { return {kAllBlocks, kAllBlocks}; }
  // S or P is "all": the pattern is dense causal attention (no block is ever out of sight).
  bool is_dense() const { return sink == kAllBlocks || prev == kAllBlocks; }

  // Self when c == b, Sink when c is one of the S sink blocks, Previous when it is among the P blocks
  // before b, None otherwise (and for every c > b: attention is causal).
  BlockLink link(int64_t b, int64_t c) const {
    if (c > b || c < 0) return BlockLink::None;
    if (c == b) return BlockLink::Self;
    if (sink == kAllBlocks || c < sink) return BlockLink::Sink;
    if (prev == kAllBlocks || c >= b - prev) return BlockLink::Previous;
    return BlockLink::None;
  }
  bool sees(int64_t b, int64_t c) const { return link(b, c) != BlockLink::None; }
  // The most blocks one block's tokens see: S + P + 1, or kAllBlocks when dense.
  int64_t max_visible_blocks() const { return is_dense() ? kAllBlocks : int64_t{sink} + int64_t{prev} + 1; }

  // "S=1 P=2" ("all" for kAllBlocks).
  std::string text() const { return "S=" + block_count_text(sink) + " P=" + block_count_text(prev); }
  // Throws std::invalid_argument when S or P is below 0 and not kAllBlocks.
  void validate() const {
    if ((sink < 0 && sink != kAllBlocks) || (prev < 0 && prev != kAllBlocks))
      throw std::invalid_argument("block layout " + text() + ": S and P must be >= 0 or 'all'");
  }

  friend bool operator==(const BlockLayout&, const BlockLayout&) = default;
};

}  // namespace dbsa
