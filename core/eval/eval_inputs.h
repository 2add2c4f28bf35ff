#pragma once
// Everything an evaluation reads, loaded and checked before it writes anything: the model and its
// tokenizer, the dataset and the test queries, and whether the results database and the KV store can
// be written where asked. A bad input ends here with one line naming it; no file has been touched.
#include <memory>
#include <string>
#include <vector>

#include "engine/llama_model.h"
#include "eval/eval_config.h"
#include "icl/dataset.h"
#include "text/tokenizer.h"

namespace dbsa {

struct TestQuery {
  std::string id;  // "test250:<row>" (the paper's subset) or "test:<index>" (--test-indices)
  std::string text;
  std::string gold;  // prompt wording of the gold label
};

struct EvalInputs {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tok;
  std::string model_path;  // absolute
  std::string model_fingerprint;
  std::string tokenizer_fingerprint;
  Dataset dataset;
  std::vector<TestQuery> tests;
};

// `points` are the configs of one eval (one) or sweep (several); they may differ only in the pool knobs
// (sink, prev, select, grouping, order, block-demos, blocks). Throws std::invalid_argument /
// std::runtime_error (or the loaders' errors, which name file and line) on the first bad input, and
// ContextLengthError when a method's sequences would not fit the model's context (eval/context_plan.h).
EvalInputs prepare_eval(const std::vector<EvalConfig>& points);

// The test queries of a config for a loaded dataset: --test-indices into the test split, else the paper's
// test subset; the first `test` of them when test > 0.
std::vector<TestQuery> load_test_queries(const EvalConfig& c, const Dataset& ds);

}  // namespace dbsa
