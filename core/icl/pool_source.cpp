#include "icl/pool_source.h"

#include <stdexcept>

#include "icl/dataset_loaders.h"
#include "icl/pool.h"

namespace dbsa {

LoadedPool load_pool_source(const PoolSource& src) {
  LoadedPool out;
  LoadOptions lo;
  lo.skip_bad_rows = src.skip_bad_rows;
  out.dataset = src.dataset.empty() ? "pool-file" : src.dataset;
  if (!src.dataset.empty() && !src.data_dir.empty()) {
    Dataset ds = load_paper_dataset(src.dataset, src.data_dir, lo);
    out.skipped = std::move(ds.skipped);
    out.prompt = ds.prompt;
    out.labels = ds.labels;
    if (src.pool_file.empty()) {
      if (src.pool_size <= 0)
        throw std::runtime_error("encode: give --pool-size N or --blocks B (with --block-demos K)");
      out.demos = draw_pool(ds.train, static_cast<size_t>(src.pool_size), src.seed).demos;
      return out;
    }
  } else if (!src.dataset.empty()) {
    out.prompt = paper_template(src.dataset);
  }
  if (src.pool_file.empty())
    throw std::runtime_error("encode: give --dataset with --data-dir, or --pool-file");
  if (!src.x_prefix.empty() || !src.y_prefix.empty()) out.prompt = PromptTemplate{src.x_prefix, src.y_prefix};
  if (out.prompt.y_prefix.empty())
    throw std::runtime_error(
        "encode: a pool file needs --dataset (for its template) or --x-prefix/--y-prefix");
  std::vector<SkippedRow> skipped;
  out.demos = load_pool_jsonl(src.pool_file, out.labels, lo, skipped);
  out.skipped.insert(out.skipped.end(), skipped.begin(), skipped.end());
  return out;
}

Blocks group_pool(const std::vector<Example>& demos, const PromptTemplate& prompt, const Tokenizer& tok,
                  std::string_view grouping, size_t block_demos, uint64_t seed) {
  GroupingInput in;
  in.demos = &demos;
  in.prompt = prompt;
  in.block_demos = block_demos;
  in.seed = seed;
  in.token_count = [&tok](const std::string& s) {
    EncodeOptions eo;
    eo.add_bos = false;
    return tok.encode(s, eo).size();
  };
  return make_grouping(grouping)->group(in);
}

}  // namespace dbsa
