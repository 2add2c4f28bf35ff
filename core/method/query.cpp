#include "method/query.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include "icl/block_tokens.h"
#include "method/block_row_source.h"
#include "method/label_decoding.h"
#include "util/name_list.h"

namespace dbsa {

std::vector<std::string> block_order_names() {
  return {"in-order", "hi2lo", "lo2hi", "reversed"};
}

BlockOrder parse_block_order(std::string_view name) {
  if (name == "in-order") return BlockOrder::InOrder;
  if (name == "hi2lo") return BlockOrder::Hi2Lo;
  if (name == "lo2hi") return BlockOrder::Lo2Hi;
  if (name == "reversed") return BlockOrder::Reversed;
  throw std::invalid_argument("block order '" + std::string(name) + "': expected one of " +
                              name_list(block_order_names()));
}

std::vector<SelectedBlock> select_blocks(std::span<const RetrievalHit> hits, int32_t n_blocks,
                                         int32_t n_select, BlockOrder order) {
  if (n_blocks <= 0) throw std::invalid_argument("block selection: the cache holds no blocks");
  if (n_select == 0 || n_select < kAllBlocks)
    throw std::invalid_argument("block selection: n_select must be >= 1 or all, got " +
                                std::to_string(n_select));
  const int32_t k = (n_select == kAllBlocks || n_select > n_blocks) ? n_blocks : n_select;
  std::vector<double> score(static_cast<size_t>(n_blocks), 0.0);
  for (const auto& h : hits) {
    if (h.doc_id < 0 || h.doc_id >= n_blocks)
      throw std::out_of_range("block selection: retriever returned document " + std::to_string(h.doc_id) +
                              " but the cache holds " + std::to_string(n_blocks) + " blocks");
    score[static_cast<size_t>(h.doc_id)] = h.score;
  }
  std::vector<int32_t> others;
  for (int32_t b = 1; b < n_blocks; ++b) others.push_back(b);
  const auto by_score_desc = [&](int32_t a, int32_t b) {
    const double sa = score[static_cast<size_t>(a)], sb = score[static_cast<size_t>(b)];
    return sa != sb ? sa > sb : a < b;
  };
  std::stable_sort(others.begin(), others.end(), by_score_desc);
  others.resize(static_cast<size_t>(k - 1));
  switch (order) {
    case BlockOrder::InOrder:
      std::sort(others.begin(), others.end());
      break;
    case BlockOrder::Reversed:
      std::sort(others.begin(), others.end(), std::greater<>());
      break;
    case BlockOrder::Hi2Lo:
      break;  // already best first
    case BlockOrder::Lo2Hi:
      std::reverse(others.begin(), others.end());
      break;
  }
  std::vector<SelectedBlock> out;
  out.push_back({0, score[0], 0, true});
  for (const int32_t b : others) out.push_back({b, score[static_cast<size_t>(b)], 0, false});
  return out;
}

BlockQuery::BlockQuery(LlamaModel& model, const BlockCache& cache, const Tokenizer& tok,
                       PromptTemplate prompt, LabelSet labels, std::shared_ptr<const Retriever> retriever)
    : model_(model),
      cache_(cache),
      tok_(tok),
      prompt_(std::move(prompt)),
      labels_(std::move(labels)),
      trie_(label_trie(labels_)),
      retriever_(std::move(retriever)),
      context_(model.make_cache(0, KeyStorage::PreRope)) {}

Prediction BlockQuery::run(std::string_view text, const QueryConfig& cfg) {
  if (!retriever_) throw std::logic_error("query: no retriever for block selection");
  // An empty text would be answered from all-zero retrieval scores; a count beyond the cache was
  // silently read as "all". Both are mistakes the user should hear about.
  if (rstrip_ascii(text).empty()) throw std::invalid_argument("query: the query text is empty");
  if (cfg.n_select != kAllBlocks && cfg.n_select > cache_.n_blocks())
    throw std::invalid_argument("query: --select " + std::to_string(cfg.n_select) + " is more than the " +
                                std::to_string(cache_.n_blocks()) + " blocks of the cache (use 'all')");
  // Before retrieval: a query that does not fit even beside the sink block alone is refused at once
  // (retrieving with a megabyte of text takes minutes before the model would run).
  const auto q = tokenize_query(tok_, prompt_, text);
  check_query_fits(model_, cache_.block(0).n_tokens(), static_cast<int64_t>(q.size()), labels_,
                   "query: sink block", "shorten the query");
  const auto t0 = std::chrono::steady_clock::now();
  const auto hits = retriever_->search(text, static_cast<size_t>(cache_.n_blocks()));
  auto blocks = select_blocks(hits, cache_.n_blocks(), cfg.n_select, cfg.order);
  const double retrieval = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Prediction p = run_tokens(q, std::move(blocks), cfg);
  p.timings.retrieval_s = retrieval;
  return p;
}

Prediction BlockQuery::run_blocks(std::string_view text, std::vector<SelectedBlock> blocks,
                                  const QueryConfig& cfg) {
  return run_tokens(tokenize_query(tok_, prompt_, text), std::move(blocks), cfg);
}

Prediction BlockQuery::run_tokens(const std::vector<TokenId>& q, std::vector<SelectedBlock> blocks,
                                  const QueryConfig& cfg) {
  Prediction p;
  std::vector<int32_t> ids;
  int64_t context_tokens = 0;
  for (auto& b : blocks) {
    b.n_tokens = cache_.block(b.block).n_tokens();
    context_tokens += b.n_tokens;
    ids.push_back(b.block);
  }
  check_query_fits(model_, context_tokens, static_cast<int64_t>(q.size()), labels_,
                   "query: " + std::to_string(blocks.size()) + " selected blocks",
                   "select fewer blocks (--select)");
  const auto t0 = std::chrono::steady_clock::now();
  auto source = std::make_shared<BlockRowSource>(cache_, ids);
  std::vector<int32_t> pos(static_cast<size_t>(source->rows()));
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int32_t>(i);
  context_.set_prefix(std::move(source), pos);
  p.timings.assembly_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  p.context_tokens = context_.size();
  p.blocks = std::move(blocks);
  answer_query(model_, context_, q, labels_, trie_, cfg.keep_logits, p, cfg.capture);
  return p;
}

}  // namespace dbsa
