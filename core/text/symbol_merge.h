#pragma once
// The greedy pairwise merge shared by both tokenizers: start from the UTF-8 characters of a word and
// repeatedly merge the adjacent pair with the highest priority (SentencePiece: the merged piece's score;
// BPE: the lowest merge rank), the leftmost pair among equals, until no pair can merge. A priority
// queue with lazy deletion keeps it O(n log n) instead of rescanning all pairs after every merge.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "text/unicode_bytes.h"

namespace dbsa {

// A run of the input: one UTF-8 character at first, grown by merges. Merged-away symbols keep n == 0.
struct MergeSymbol {
  int prev;
  int next;
  size_t begin;
  size_t n;
};

// One symbol per UTF-8 character of text (a truncated trailing sequence is one symbol).
inline std::vector<MergeSymbol> utf8_symbols(std::string_view text) {
  std::vector<MergeSymbol> symbols;
  symbols.reserve(text.size());
  for (size_t off = 0; off < text.size();) {
    const size_t len = std::min(utf8_seq_len(static_cast<uint8_t>(text[off])), text.size() - off);
    const int idx = static_cast<int>(symbols.size());
    symbols.push_back(MergeSymbol{idx - 1, off + len == text.size() ? -1 : idx + 1, off, len});
    off += len;
  }
  return symbols;
}

// priority(left, right) returns the pair's priority (higher merges first) or nullopt when the pair
// cannot merge. Afterwards the live symbols are those reached from index 0 through `next`.
template <class Priority>
void merge_symbols(std::vector<MergeSymbol>& symbols, Priority&& priority) {
  struct Bigram {
    int left;
    int right;
    double priority;
    size_t size;
  };
  const auto order = [](const Bigram& a, const Bigram& b) {
    return a.priority < b.priority || (a.priority == b.priority && a.left > b.left);
  };
  std::vector<Bigram> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(order)> queue(order, std::move(storage));
  const auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const MergeSymbol& l = symbols[static_cast<size_t>(left)];
    const MergeSymbol& r = symbols[static_cast<size_t>(right)];
    const std::optional<double> p = priority(l, r);
    if (p) queue.push(Bigram{left, right, *p, l.n + r.n});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    MergeSymbol& l = symbols[static_cast<size_t>(b.left)];
    MergeSymbol& r = symbols[static_cast<size_t>(b.right)];
    // Stale entry: one side was merged into something else since it was queued. A symbol's start never
    // moves, so equal sizes mean the queued pair is still the same text.
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
}

}  // namespace dbsa
