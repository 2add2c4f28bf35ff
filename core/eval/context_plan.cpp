#include "eval/context_plan.h"

#include <algorithm>
#include <functional>
#include <string>

#include "cache/cache_key.h"
#include "eval/pool_draw.h"
#include "icl/block_text.h"
#include "icl/block_tokens.h"
#include "icl/label_set.h"
#include "method/label_decoding.h"
#include "method/method.h"
#include "method/pool_context_check.h"

namespace dbsa {
namespace {

// Sum of the k largest values.
int64_t largest_sum(std::vector<int64_t> v, size_t k) {
  k = std::min(k, v.size());
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), std::greater<>());
  int64_t s = 0;
  for (size_t i = 0; i < k; ++i) s += v[i];
  return s;
}

}  // namespace

void check_eval_fits(const EvalInputs& in, const std::vector<EvalConfig>& points) {
  const LlamaModel& model = *in.model;
  const ContextLimit& limit = model.context_limit();
  if (limit.tokens <= 0) return;
  const Tokenizer& tok = *in.tok;
  const PromptTemplate& prompt = in.dataset.prompt;
  const LabelSet labels = make_label_set(tok, in.dataset.labels);
  int64_t longest_query = 0;
  std::string longest_id;
  for (const auto& q : in.tests) {
    const auto n = static_cast<int64_t>(tokenize_query(tok, prompt, q.text).size());
    if (n > longest_query) longest_query = n, longest_id = q.id;
  }
  for (size_t pi = 0; pi < points.size(); ++pi) {
    const EvalConfig& c = points[pi];
    for (int32_t run = 0; run < c.runs; ++run) {
      const PoolDraw d = draw_and_group(in, c, c.seed + static_cast<uint64_t>(run));
      const auto tokens = tokenize_blocks(tok, block_texts(d.demos, d.blocks, prompt));
      std::vector<int64_t> sizes;
      int64_t pool = 0;
      for (const auto& t : tokens) sizes.push_back(static_cast<int64_t>(t.size())), pool += sizes.back();
      const std::string where = (points.size() > 1 ? "point " + std::to_string(pi) + ", " : std::string()) +
                                "run " + std::to_string(run);
      const std::string query_note = "; the longest test query is " + longest_id;
      for (const std::string& m : c.methods) {
        const std::string who = "eval: " + m + " (" + where + "): ";
        // First the demonstrations and blocks as pre-encoding will check them (a demonstration too long
        // is named by file and line); full-icl's whole pool is its query's context, checked below.
        if (uses_block_cache(m)) {
          try {
            check_pool_fits(limit, tok, prompt, d.demos, d.blocks, tokens,
                            m == "dbsa" ? c.pattern : BlockLayout{0, 0});
          } catch (const ContextLengthError& e) {
            throw ContextLengthError(who + e.what());
          }
        }
        if (m == "dbsa") {
          const auto others = static_cast<size_t>(std::max(0, selected_blocks(c) - 1));
          const int64_t ctx =
              sizes.front() + largest_sum(std::vector<int64_t>(sizes.begin() + 1, sizes.end()), others);
          check_query_fits(
              model, ctx, longest_query, labels,
              who + "the sink and the " + std::to_string(others) + " largest other blocks",
              "select fewer blocks (--select) or make them smaller (--block-demos)" + query_note);
        } else if (m == "full-icl" || m == "cached-icl") {
          check_query_fits(model, pool, longest_query, labels,
                           who + "the whole pool (" + std::to_string(sizes.size()) + " blocks)",
                           "use fewer demonstrations (--blocks, --block-demos)" + query_note);
        } else if (m == "retrieval-icl") {
          std::vector<int64_t> demo_tokens;
          for (const auto& e : d.demos)
            demo_tokens.push_back(
                static_cast<int64_t>(encode_after_separator(tok, std::string(kDemoSeparator) +
                                                                     format_demo(prompt, e.text, e.label))
                                         .size()));
          const size_t k = static_cast<size_t>(selected_blocks(c)) * static_cast<size_t>(c.block_demos);
          check_query_fits(model, largest_sum(demo_tokens, k), longest_query, labels,
                           who + "the " + std::to_string(std::min(k, demo_tokens.size())) +
                               " longest demonstrations (estimated)",
                           "retrieve fewer (--select x --block-demos)" + query_note);
        } else {
          check_query_fits(model, 0, longest_query, labels, who + "no demonstrations",
                           "shorten it" + query_note);
        }
      }
    }
  }
}

}  // namespace dbsa
