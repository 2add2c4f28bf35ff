#include "eval/eval_inputs.h"

#include <stdexcept>

#include "cache/cache_manifest.h"
#include "cache/fingerprint.h"
#include "engine/backend_registry.h"
#include "eval/context_plan.h"
#include "eval/path_checks.h"
#include "icl/dataset_loaders.h"
#include "icl/label_set.h"
#include "model/gguf_file.h"

namespace dbsa {
namespace {

void check_same_shared_options(const std::vector<EvalConfig>& points) {
  const EvalConfig& a = points.front();
  for (const auto& b : points) {
    if (b.model != a.model || b.dataset != a.dataset || b.data_dir != a.data_dir || b.db != a.db ||
        b.cache_dir != a.cache_dir || b.test != a.test || b.test_indices != a.test_indices ||
        b.methods != a.methods || b.runs != a.runs || b.seed != a.seed)
      throw std::invalid_argument(
          "sweep points may only differ in sink, prev, select, grouping, order, block-demos and blocks");
  }
}

}  // namespace

std::vector<TestQuery> load_test_queries(const EvalConfig& c, const Dataset& ds) {
  std::vector<TestQuery> out;
  if (!c.test_indices.empty()) {
    const auto idx = load_index_list(c.test_indices);
    const auto rows = select_rows(ds.test, idx, c.test_indices.string() + " (indices into the test split)");
    for (size_t i = 0; i < rows.size(); ++i)
      out.push_back({"test:" + std::to_string(idx[i]), rows[i].text, rows[i].label});
  } else {
    const auto rows = load_paper_test_subset(ds, c.data_dir);
    for (size_t i = 0; i < rows.size(); ++i)
      out.push_back({"test250:" + std::to_string(i), rows[i].text, rows[i].label});
  }
  if (out.empty()) throw std::invalid_argument("the test set of '" + c.dataset + "' is empty");
  if (c.test > 0) {
    if (static_cast<size_t>(c.test) > out.size())
      throw std::invalid_argument("--test " + std::to_string(c.test) + ": the test set has only " +
                                  std::to_string(out.size()) + " queries");
    out.resize(static_cast<size_t>(c.test));
  }
  return out;
}

EvalInputs prepare_eval(const std::vector<EvalConfig>& points) {
  if (points.empty()) throw std::invalid_argument("nothing to evaluate");
  for (const auto& p : points) validate_config(p);
  check_same_shared_options(points);
  const EvalConfig& c = points.front();

  check_writable_file(c.db, "results database");
  if (needs_block_store(c)) check_creatable_dir(effective_cache_dir(c), "KV cache store");

  EvalInputs in;
  in.dataset = load_paper_dataset(c.dataset, c.data_dir);
  in.tests = load_test_queries(c, in.dataset);
  for (const auto& p : points) {
    const auto pool = static_cast<int64_t>(p.blocks) * p.block_demos;
    if (pool > static_cast<int64_t>(in.dataset.train.size()))
      throw std::invalid_argument("--blocks " + std::to_string(p.blocks) + " x --block-demos " +
                                  std::to_string(p.block_demos) + " = " + std::to_string(pool) +
                                  " demonstrations, but the training split of '" + c.dataset + "' has only " +
                                  std::to_string(in.dataset.train.size()));
  }

  {
    const auto file = GgufFile::open(c.model.string());
    in.tok = Tokenizer::from_gguf(*file);
  }
  (void)make_label_set(*in.tok, in.dataset.labels);  // labels the tokenizer cannot tell apart fail here
  in.model = load_model(GgufFile::open(c.model.string()), c.backend, c.threads, c.weights, c.kv_cache);
  in.model->set_context_limit(context_limit_for(in.model->hparams(), c.model.string(), c.max_context));
  in.model_path = std::filesystem::absolute(c.model).string();
  in.model_fingerprint = fingerprint_file(c.model);
  in.tokenizer_fingerprint = tokenizer_fingerprint(*in.tok);
  check_eval_fits(in, points);
  return in;
}

}  // namespace dbsa
