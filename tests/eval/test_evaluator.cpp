// The acceptance run scaled down (tiny SentencePiece model, TREC, 4 blocks x 10 demos, select 2,
// 5 test queries, all five methods, 2 runs) into a real results database: the rows, the accuracy
// arithmetic, cache reuse, interruption, and bad inputs that must fail before anything is written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "cache/cache_store.h"
#include "eval/eval_inputs.h"
#include "eval/evaluator.h"
#include "eval/work_units.h"
#include "icl/dataset_loaders.h"
#include "model/gguf_writer.h"
#include "store/report.h"
#include "store/results_db.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

namespace fs = std::filesystem;

EvalConfig small_config(const fs::path& dir) {
  EvalConfig c;
  c.model = test::fixture("models/tiny-spm-f32.gguf");
  c.dataset = "trec";
  c.data_dir = test::data("");
  c.blocks = 4;
  c.block_demos = 10;
  c.select = 2;
  c.runs = 2;
  c.test = 5;
  c.seed = 11;
  c.threads = 2;
  c.chunk_tokens = 64;
  c.db = dir / "results.sqlite";
  return c;
}

EvalSummary evaluate(const EvalConfig& c, const EvalCallbacks& cb = {}) {
  EvalInputs in = prepare_eval({c});
  return run_evaluation(in, {c}, all_work_units({c}), cb);
}

TEST(Evaluator, AcceptanceRunFillsTheDatabase) {
  const auto dir = test::scratch_dir("eval_acceptance");
  const EvalConfig c = small_config(dir);
  const EvalSummary s = evaluate(c);
  EXPECT_FALSE(s.interrupted);
  ASSERT_EQ(s.units.size(), 10u);

  ResultsDb db(c.db, OpenMode::ReadOnly);
  const auto runs = db.runs();
  ASSERT_EQ(runs.size(), 10u);
  const auto tests = load_test_queries(c, load_paper_dataset("trec", c.data_dir));
  ASSERT_EQ(tests.size(), 5u);
  std::map<std::string, int> per_method;
  for (const auto& r : runs) {
    EXPECT_EQ(r.status, RunStatus::Finished) << r.info.method;
    ++per_method[r.info.method];
    EXPECT_EQ(r.info.dataset, "trec");
    EXPECT_EQ(r.info.params.blocks, 4);
    EXPECT_EQ(r.info.params.test_size, 5);
    EXPECT_TRUE(r.info.params.seed == 11 || r.info.params.seed == 12);
    const auto preds = db.predictions(r.id);
    ASSERT_EQ(preds.size(), 5u);
    int64_t correct = 0;
    for (size_t q = 0; q < preds.size(); ++q) {
      const auto& p = preds[q];
      EXPECT_EQ(p.gold, tests[q].gold);  // every method answers the same subset in the same order
      EXPECT_EQ(p.example_id, tests[q].id);
      EXPECT_FALSE(p.prediction.empty());
      EXPECT_EQ(p.correct, p.prediction == p.gold);
      correct += p.correct ? 1 : 0;
      EXPECT_GT(p.total_seconds, 0.0);
      if (r.info.method == "dbsa") {
        ASSERT_EQ(p.selected_blocks.size(), 2u);
        EXPECT_EQ(p.selected_blocks[0], 0);  // the sink first
        EXPECT_EQ(p.block_scores.size(), 2u);
      }
      if (r.info.method == "full-icl" || r.info.method == "cached-icl") {
        EXPECT_EQ(p.selected_blocks, (std::vector<int>{0, 1, 2, 3}));
      }
      if (r.info.method == "zero-shot") {
        EXPECT_EQ(p.n_tokens_attended, 0);
      }
      if (r.info.method == "retrieval-icl") {
        EXPECT_EQ(p.retrieved_demos.size(), 2u * 10u);  // select x block_demos
        EXPECT_EQ(p.demo_scores.size(), p.retrieved_demos.size());
      } else {
        EXPECT_TRUE(p.retrieved_demos.empty());
      }
    }
    const auto agg = db.aggregates(r.id);
    ASSERT_TRUE(agg);
    EXPECT_EQ(agg->n, 5);
    EXPECT_EQ(agg->n_correct, correct);
    EXPECT_DOUBLE_EQ(agg->accuracy, static_cast<double>(correct) / 5.0);
    const bool block_cache = r.info.method == "dbsa" || r.info.method == "full-icl";
    EXPECT_EQ(r.setup.kv_bytes > 0, block_cache || r.info.method == "cached-icl") << r.info.method;
    EXPECT_FALSE(r.setup.cache_hit);
  }
  EXPECT_EQ(per_method.size(), 5u);
  for (const auto& [m, n] : per_method) EXPECT_EQ(n, 2) << m;

  // The report's accuracy per method is the mean of the runs' accuracies.
  for (const auto& row : build_report(db)) {
    double sum = 0;
    for (const auto& u : s.units)
      if (u.method == row.method) sum += u.accuracy;
    EXPECT_NEAR(row.accuracy_mean, sum / 2.0, 1e-12) << row.method;
    EXPECT_EQ(row.queries, 10);
  }
}

TEST(Evaluator, RerunReusesTheBlockCaches) {
  const auto dir = test::scratch_dir("eval_rerun");
  EvalConfig c = small_config(dir);
  c.methods = {"dbsa", "full-icl"};
  c.runs = 1;
  c.test = 2;
  const EvalSummary first = evaluate(c);
  const size_t caches = CacheStore(effective_cache_dir(c)).list().size();
  EXPECT_EQ(caches, 2u);  // dbsa (S=1, P=2) and full-icl (dense)
  const EvalSummary second = evaluate(c);
  ASSERT_EQ(second.units.size(), 2u);
  EXPECT_EQ(CacheStore(effective_cache_dir(c)).list().size(), caches);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_FALSE(first.units[i].cache_hit);
    EXPECT_TRUE(second.units[i].cache_hit) << second.units[i].method;
    EXPECT_LT(second.units[i].setup_seconds, first.units[i].setup_seconds) << second.units[i].method;
    EXPECT_EQ(second.units[i].n_correct, first.units[i].n_correct);
  }
  ResultsDb db(c.db, OpenMode::ReadOnly);
  const auto runs = db.runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_TRUE(runs[2].setup.cache_hit);
  EXPECT_TRUE(runs[3].setup.cache_hit);
}

TEST(Evaluator, CancelMarksTheCurrentRunInterrupted) {
  const auto dir = test::scratch_dir("eval_cancel");
  EvalConfig c = small_config(dir);
  c.methods = {"zero-shot", "cached-icl", "retrieval-icl"};
  std::atomic<bool> cancel{false};
  EvalCallbacks cb;
  cb.cancel = &cancel;
  // Mid-way through the second unit's queries, as a SIGINT handler would.
  cb.progress = [&cancel](const EvalProgress& p) {
    if (p.unit == 1 && !p.in_setup && p.queries_done == 2) cancel.store(true);
  };
  const EvalSummary s = evaluate(c, cb);
  EXPECT_TRUE(s.interrupted);
  ASSERT_EQ(s.units.size(), 2u);
  EXPECT_EQ(s.units[0].status, "finished");
  EXPECT_EQ(s.units[1].status, "interrupted");

  ResultsDb db(c.db, OpenMode::ReadOnly);
  const auto runs = db.runs();
  ASSERT_EQ(runs.size(), 2u);  // nothing after the interrupted run was started
  EXPECT_EQ(runs[0].status, RunStatus::Finished);
  EXPECT_EQ(runs[1].status, RunStatus::Interrupted);
  EXPECT_EQ(db.predictions(runs[1].id).size(), 2u);
  const auto report = build_report(db);
  ASSERT_EQ(report.size(), 1u);  // the interrupted run is never counted
  EXPECT_EQ(report[0].method, "zero-shot");
}

TEST(Evaluator, CancelDuringSetupLeavesNoCache) {
  const auto dir = test::scratch_dir("eval_cancel_setup");
  EvalConfig c = small_config(dir);
  c.methods = {"dbsa"};
  c.chunk_tokens = 16;
  std::atomic<bool> cancel{false};
  EvalCallbacks cb;
  cb.cancel = &cancel;
  cb.progress = [&cancel](const EvalProgress& p) {
    if (p.in_setup) cancel.store(true);
  };
  const EvalSummary s = evaluate(c, cb);
  EXPECT_TRUE(s.interrupted);
  ResultsDb db(c.db, OpenMode::ReadOnly);
  ASSERT_EQ(db.runs().size(), 1u);
  EXPECT_EQ(db.runs()[0].status, RunStatus::Interrupted);
  EXPECT_TRUE(CacheStore(effective_cache_dir(c)).list().empty());
}

TEST(Evaluator, TestQueriesFromTheSubsetOrFromIndices) {
  const auto dir = test::scratch_dir("eval_test_queries");
  const Dataset ds = load_paper_dataset("trec", test::data(""));
  EvalConfig c = small_config(dir);
  c.test = 0;
  const auto subset = load_test_queries(c, ds);
  ASSERT_EQ(subset.size(), 250u);  // the paper's test250 subset
  EXPECT_EQ(subset[7].id, "test250:7");
  c.test = 3;
  const auto first = load_test_queries(c, ds);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[2].text, subset[2].text);
  {
    std::ofstream f(dir / "idx.txt");
    f << "[12, 3,]\n";
  }
  c.test = 0;
  c.test_indices = dir / "idx.txt";
  const auto picked = load_test_queries(c, ds);
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(picked[0].id, "test:12");
  EXPECT_EQ(picked[0].text, ds.test[12].text);
  EXPECT_EQ(picked[1].gold, ds.test[3].label);
  {
    std::ofstream f(dir / "idx.txt");
    f << "[12, 100000]\n";
  }
  EXPECT_THROW(load_test_queries(c, ds), std::exception);
}

// Each bad input fails in prepare_eval with one line naming it, before the database or the KV store
// exist.
void expect_rejected(const EvalConfig& c, const std::string& fragment) {
  try {
    EvalInputs in = prepare_eval({c});
    ADD_FAILURE() << "accepted; expected an error containing '" << fragment << "'";
  } catch (const std::exception& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(fragment), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "not one line: " << m;
  }
  EXPECT_FALSE(fs::exists(c.db)) << c.db;
  EXPECT_FALSE(fs::exists(effective_cache_dir(c))) << effective_cache_dir(c);
}

TEST(Evaluator, BadInputsFailBeforeAnyWrite) {
  const auto dir = test::scratch_dir("eval_bad");
  {
    auto c = small_config(dir);
    c.data_dir = dir / "no-data";
    fs::create_directories(c.data_dir / "trec");
    expect_rejected(c, "cannot open dataset file");
  }
  {
    auto c = small_config(dir);
    c.methods = {"dbsa", "prompt-tuning"};
    expect_rejected(c, "unknown method 'prompt-tuning'");
  }
  {
    auto c = small_config(dir);
    c.select = 5;
    expect_rejected(c, "--select 5 is larger than --blocks 4");
  }
  {
    auto c = small_config(dir);
    c.blocks = 1000;  // 10,000 demonstrations: more than TREC's training split
    c.select = 2;
    expect_rejected(c, "training split");
  }
  {
    auto c = small_config(dir);
    c.test = 251;
    expect_rejected(c, "--test 251");
  }
  {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    const auto model = dir / "no-tokenizer.gguf";
    w.write(model.string());
    auto c = small_config(dir);
    c.model = model;
    expect_rejected(c, "tokenizer");
  }
  {
    auto c = small_config(dir);
    c.model = dir / "missing.gguf";
    expect_rejected(c, "missing.gguf");
  }
  {
    // A folder that refuses new files: chmod works for ordinary users; root ignores modes, but not a
    // read-only mount such as /sys.
    auto c = small_config(dir);
    if (::geteuid() == 0) {
      c.db = "/sys/dbsa-eval-results.sqlite";
      c.cache_dir = dir / "kv";
    } else {
      const auto ro = dir / "read-only";
      fs::create_directories(ro);
      fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
      c.db = ro / "results.sqlite";
    }
    expect_rejected(c, "cannot write the results database");
  }
}

}  // namespace
}  // namespace dbsa

namespace dbsa {
namespace {

std::string context_refusal_of(const EvalConfig& c) {
  try {
    prepare_eval({c});
  } catch (const ContextLengthError& e) {
    return e.what();
  }
  ADD_FAILURE() << "prepare_eval accepted a config whose sequences exceed --max-context " << c.max_context;
  return {};
}

// Each method's worst case is checked before anything runs or is written: the whole pool for full-icl,
// the sink and select - 1 largest blocks for dbsa, with the method, run and options named.
TEST(Evaluator, MethodsThatCannotFitTheContextAreRefusedUpFront) {
  const auto dir = test::scratch_dir("eval_context_refused");
  EvalConfig c = small_config(dir);
  c.methods = {"zero-shot", "dbsa", "full-icl"};
  c.max_context = 400;  // blocks of 10 TREC demonstrations are ~250 tokens: two do not fit, one does
  std::string msg = context_refusal_of(c);
  EXPECT_NE(msg.find("eval: dbsa (run 0): the sink and the 1 largest other blocks + query + label ("),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("more than the context of 400 tokens (--max-context); select fewer blocks (--select)"),
            std::string::npos)
      << msg;
  c.select = 1;  // dbsa now attends to the sink alone; full-icl still needs the whole pool
  msg = context_refusal_of(c);
  EXPECT_NE(msg.find("eval: full-icl (run 0): the whole pool (4 blocks) + query + label ("),
            std::string::npos)
      << msg;
  EXPECT_FALSE(fs::exists(c.db));
  c.methods = {"zero-shot", "dbsa"};
  EXPECT_NO_THROW(prepare_eval({c}));
}

}  // namespace
}  // namespace dbsa
