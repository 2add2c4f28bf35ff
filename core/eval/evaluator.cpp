#include "eval/evaluator.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

#include "eval/method_session.h"
#include "eval/pool_draw.h"
#include "method/model_identity.h"
#include "store/machine_info.h"
#include "store/results_db.h"

namespace dbsa {
namespace {

using Clock = std::chrono::steady_clock;

RunInfo run_info(const EvalInputs& in, const EvalConfig& c, const std::string& method, int32_t run,
                 const std::string& tool_version, const MachineInfo& machine) {
  RunInfo info;
  info.method = method;
  info.dataset = c.dataset;
  info.model_path = in.model_path;
  info.model_fingerprint = in.model_fingerprint;
  info.params.blocks = c.blocks;
  info.params.block_demos = c.block_demos;
  info.params.select = c.select;
  info.params.sink = c.pattern.sink;
  info.params.prev = c.pattern.prev;
  info.params.grouping = c.grouping;
  info.params.order = c.order;
  info.params.seed = static_cast<int64_t>(c.seed + static_cast<uint64_t>(run));
  info.params.test_size = static_cast<int>(in.tests.size());
  info.params.shard = c.shard.text();
  info.params_json = config_json(c, method, run);
  info.tool_version = tool_version;
  info.machine = machine;
  return info;
}

SessionInputs session_inputs(const EvalInputs& in, const EvalConfig& c, const PoolDraw& pool, uint64_t seed,
                             const std::filesystem::path& cache_root, const EvalCallbacks& cb) {
  SessionInputs si;
  si.model = in.model.get();
  si.tok = in.tok.get();
  si.manifest = model_manifest(in.model_path, in.model_fingerprint, in.model->weights(), *in.tok);
  si.manifest.dataset = c.dataset;
  si.manifest.prompt = in.dataset.prompt;
  si.manifest.labels = in.dataset.labels;
  si.manifest.seed = seed;
  si.demos = pool.demos;
  si.blocks = pool.blocks;
  si.layout.block_demos = c.block_demos;
  si.layout.grouping = c.grouping;
  si.layout.pattern = c.pattern;
  si.cache_root = cache_root;
  si.cache_lock_wait.timeout_s = c.lock_timeout;
  si.cache_lock_wait.on_wait = [&cb, cache_root](long holder, double waited) {
    if (cb.notice) {
      cb.notice("waiting for " + lock_holder_text(holder) + ", which is building this pool's cache in '" +
                cache_root.string() + "' (" + std::to_string(static_cast<long>(waited)) + " s so far)");
    }
    return !(cb.cancel && cb.cancel->load());
  };
  si.select = c.select;
  si.order = c.order;
  si.chunk_tokens = c.chunk_tokens;
  return si;
}

PredictionRow store_row(const QueryRow& r, const TestQuery& q, int64_t index) {
  PredictionRow p;
  p.query_index = index;
  p.example_id = q.id;
  p.gold = q.gold;
  p.prediction = r.prediction;
  p.correct = r.prediction == q.gold;
  p.selected_blocks = r.selected_blocks;
  p.block_scores = r.block_scores;
  p.retrieved_demos = r.demo_ids;
  p.demo_scores = r.demo_scores;
  p.n_tokens_attended = r.n_tokens_attended;
  p.retrieval_seconds = r.retrieval_seconds;
  p.assembly_seconds = r.assembly_seconds;
  p.forward_seconds = r.forward_seconds;
  p.decode_seconds = r.decode_seconds;
  p.total_seconds = r.total_seconds;
  return p;
}

class ProgressTracker {
 public:
  ProgressTracker(const EvalCallbacks& cb, int64_t n_units) : cb_(cb), t0_(Clock::now()) {
    p_.n_units = n_units;
  }
  void start_unit(int64_t unit, const WorkUnit& u, const std::string& method, int64_t n_queries) {
    p_.unit = unit;
    p_.point = u.point;
    p_.run = u.run;
    p_.method = method;
    p_.n_queries = n_queries;
  }
  // Setup counts as a fifth of a unit: a cache hit makes it vanish, a build can take longer.
  void report(bool in_setup, double setup_fraction, int64_t queries_done) {
    if (!cb_.progress) return;
    p_.in_setup = in_setup;
    p_.queries_done = queries_done;
    const double within = in_setup ? 0.2 * setup_fraction
                                   : 0.2 + 0.8 * static_cast<double>(queries_done) /
                                               static_cast<double>(std::max<int64_t>(1, p_.n_queries));
    p_.fraction =
        (static_cast<double>(p_.unit) + within) / static_cast<double>(std::max<int64_t>(1, p_.n_units));
    p_.elapsed_seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
    p_.eta_seconds = p_.fraction > 0.0 ? p_.elapsed_seconds * (1.0 - p_.fraction) / p_.fraction : -1.0;
    cb_.progress(p_);
  }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

 private:
  const EvalCallbacks& cb_;
  Clock::time_point t0_;
  EvalProgress p_;
};

}  // namespace

std::string eval_tool_version() {
#ifdef DBSA_EVAL_TOOL_VERSION
  return DBSA_EVAL_TOOL_VERSION;
#else
  return "unknown";
#endif
}

EvalSummary run_evaluation(EvalInputs& in, const std::vector<EvalConfig>& points,
                           const std::vector<WorkUnit>& units, const EvalCallbacks& cb) {
  if (points.empty()) throw std::invalid_argument("run_evaluation: no evaluation config");
  EvalSummary summary;
  const EvalConfig& shared = points.front();
  // Created even when this shard has no units, so a scheduler's merge step finds every shard's file.
  ResultsDb db(shared.db, OpenMode::Create);
  if (units.empty()) return summary;
  const auto cache_root = effective_cache_dir(shared);
  if (needs_block_store(shared)) std::filesystem::create_directories(cache_root);
  const MachineInfo machine = collect_machine_info();
  const std::string version = cb.tool_version.empty() ? eval_tool_version() : cb.tool_version;
  auto cancelled = [&cb] { return cb.cancel && cb.cancel->load(); };

  ProgressTracker progress(cb, static_cast<int64_t>(units.size()));
  std::optional<std::pair<int32_t, int32_t>> drawn;  // (point, run) of `pool`
  PoolDraw pool;
  for (size_t k = 0; k < units.size(); ++k) {
    const WorkUnit& u = units[k];
    const EvalConfig& c = points.at(static_cast<size_t>(u.point));
    const std::string& method = c.methods.at(static_cast<size_t>(u.method));
    const uint64_t seed = c.seed + static_cast<uint64_t>(u.run);
    progress.start_unit(static_cast<int64_t>(k), u, method, static_cast<int64_t>(in.tests.size()));
    if (cancelled()) {
      summary.interrupted = true;
      break;
    }
    if (!drawn || *drawn != std::make_pair(u.point, u.run)) {
      pool = draw_and_group(in, c, seed);
      drawn = std::make_pair(u.point, u.run);
    }
    RunInfo info = run_info(in, c, method, u.run, version, machine);
    const int64_t run_id = db.begin_run(info);
    UnitOutcome out;
    out.unit = u;
    out.method = method;
    out.run_uuid = info.uuid;
    out.run_id = run_id;
    try {
      MethodSession session(method, session_inputs(in, c, pool, seed, cache_root, cb));
      out.cache_hit = session.cache_hit();
      progress.report(true, 0.0, 0);
      const bool ok = session.setup([&](double f) {
        progress.report(true, f, 0);
        return !cancelled();
      });
      if (!ok) {
        db.mark_interrupted(run_id);
        out.status = "interrupted";
        summary.units.push_back(out);
        summary.interrupted = true;
        break;
      }
      out.cache_hit = session.cache_hit();
      out.setup_seconds = session.setup_seconds();
      db.record_setup(run_id,
                      RunSetup{out.setup_seconds, out.cache_hit, static_cast<int64_t>(session.kv_bytes())});
      bool stopped = false;
      for (size_t q = 0; q < in.tests.size(); ++q) {
        if (cancelled()) {
          stopped = true;
          break;
        }
        const QueryRow row = session.predict(in.tests[q].text);
        db.add_prediction(run_id, store_row(row, in.tests[q], static_cast<int64_t>(q)));
        progress.report(false, 1.0, static_cast<int64_t>(q + 1));
      }
      if (stopped) {
        db.mark_interrupted(run_id);
        out.status = "interrupted";
        summary.units.push_back(out);
        summary.interrupted = true;
        break;
      }
      const RunAggregates agg = db.finish_run(run_id);
      out.status = "finished";
      out.n = agg.n;
      out.n_correct = agg.n_correct;
      out.accuracy = agg.accuracy;
      out.query_mean_seconds = agg.query_mean_seconds;
      summary.units.push_back(out);
    } catch (const std::exception& e) {
      if (cancelled()) {
        // Cancelled while waiting for another process's cache build: the wait ends with an error, but
        // the user stopped the run, it did not fail.
        db.mark_interrupted(run_id);
        out.status = "interrupted";
        summary.units.push_back(out);
        summary.interrupted = true;
        break;
      }
      db.mark_failed(run_id, e.what());
      throw;
    }
  }
  db.flush();
  summary.seconds = progress.elapsed();
  return summary;
}

}  // namespace dbsa
