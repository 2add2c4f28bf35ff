#include "method/method_bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "cache/cache_store.h"
#include "store/summary_stats.h"
#include "util/bench_stats.h"

namespace dbsa {
namespace {

double mean_latency_of(const MethodBenchReport& r, std::string_view method) {
  const MethodBenchResult* m = r.find(method);
  return m ? m->latency.mean_s : 0.0;
}

double median_latency_of(const MethodBenchReport& r, std::string_view method) {
  const MethodBenchResult* m = r.find(method);
  return m ? m->latency.p50_s : 0.0;
}

double ratio(double num, double den) {
  return num > 0.0 && den > 0.0 ? num / den : 0.0;
}

nlohmann::json latency_json(const LatencySummary& s) {
  return {{"seconds", s.seconds}, {"mean_s", s.mean_s}, {"p50_s", s.p50_s},
          {"p95_s", s.p95_s},     {"min_s", s.min_s},   {"max_s", s.max_s}};
}

}  // namespace

const MethodBenchResult* MethodBenchReport::find(std::string_view method) const {
  for (const auto& m : methods)
    if (m.method == method) return &m;
  return nullptr;
}

LatencySummary summarize_latency(std::vector<double> seconds) {
  LatencySummary s;
  s.seconds = std::move(seconds);
  if (s.seconds.empty()) return s;
  s.mean_s = mean_of(s.seconds);
  s.p50_s = percentile_linear(s.seconds, 0.5);
  s.p95_s = percentile_linear(s.seconds, 0.95);
  const auto [lo, hi] = std::minmax_element(s.seconds.begin(), s.seconds.end());
  s.min_s = *lo;
  s.max_s = *hi;
  return s;
}

MethodBenchReport run_method_bench(const MethodInputs& inputs, const std::vector<Example>& queries,
                                   const MethodBenchConfig& config) {
  if (queries.empty()) throw std::invalid_argument("bench: no test queries to time");
  const auto event = [&config](std::string_view m, std::string_view stage) {
    if (config.on_event) config.on_event(m, stage);
  };
  MethodBenchReport report;
  report.n_queries = static_cast<int>(queries.size());
  for (const auto& name : config.methods) {
    MethodBenchResult r;
    r.method = name;
    auto method = make_method(name, inputs);
    // full-icl's cache is the dense one, not the dbsa layout of `inputs`.
    if (const auto key = method_cache_key(name, inputs))
      r.setup_cache_hit = CacheStore(inputs.cache_root).contains(*key);
    event(name, "setup");
    if (!method->setup()) throw std::runtime_error("bench: setup of " + name + " was cancelled");
    r.setup_s = method->setup_seconds();
    r.kv_bytes = method->kv_bytes();
    std::vector<double> totals, walls, device;
    double context = 0.0;
    const auto timer = inputs.model->backend().device_timer();
    for (const auto& w : config.warmup) {
      const auto t0 = std::chrono::steady_clock::now();
      method->predict(w.text);
      r.warmup_seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    for (const auto& q : queries) {
      if (timer) timer->start();
      const auto t0 = std::chrono::steady_clock::now();
      const Prediction p = method->predict(q.text);
      walls.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (timer) device.push_back(timer->stop_seconds());
      totals.push_back(p.timings.total());
      r.mean_stages.retrieval_s += p.timings.retrieval_s / static_cast<double>(queries.size());
      r.mean_stages.assembly_s += p.timings.assembly_s / static_cast<double>(queries.size());
      r.mean_stages.forward_s += p.timings.forward_s / static_cast<double>(queries.size());
      r.mean_stages.decode_s += p.timings.decode_s / static_cast<double>(queries.size());
      context += static_cast<double>(p.context_tokens);
      if (p.label_id == q.label_id) ++r.correct;
      event(name, "query");
    }
    r.latency = summarize_latency(std::move(totals));
    r.wall = summarize_latency(std::move(walls));
    r.device = summarize_latency(std::move(device));
    r.mean_context_tokens = context / static_cast<double>(queries.size());
    method.reset();
    r.peak_rss_bytes = peak_rss_bytes();
    report.methods.push_back(std::move(r));
  }
  report.peak_rss_bytes = peak_rss_bytes();
  const double dbsa = mean_latency_of(report, "dbsa");
  report.dbsa_over_cached_icl = ratio(dbsa, mean_latency_of(report, "cached-icl"));
  report.retrieval_icl_over_dbsa = ratio(mean_latency_of(report, "retrieval-icl"), dbsa);
  report.dbsa_over_zero_shot = ratio(dbsa, mean_latency_of(report, "zero-shot"));
  const double dbsa50 = median_latency_of(report, "dbsa");
  report.dbsa_over_cached_icl_p50 = ratio(dbsa50, median_latency_of(report, "cached-icl"));
  report.retrieval_icl_over_dbsa_p50 = ratio(median_latency_of(report, "retrieval-icl"), dbsa50);
  report.dbsa_over_zero_shot_p50 = ratio(dbsa50, median_latency_of(report, "zero-shot"));
  return report;
}

std::string method_bench_json(const MethodBenchReport& report, const std::string& extra) {
  nlohmann::json j = extra.empty() ? nlohmann::json::object() : nlohmann::json::parse(extra);
  if (!j.is_object()) throw std::invalid_argument("bench: extra fields must be a JSON object");
  j["bench"] = "dbsa";
  j["n_queries"] = report.n_queries;
  j["peak_rss_bytes"] = report.peak_rss_bytes;
  auto& methods = j["methods"] = nlohmann::json::array();
  for (const auto& m : report.methods) {
    methods.push_back({{"method", m.method},
                       {"setup_s", m.setup_s},
                       {"setup_cache_hit", m.setup_cache_hit},
                       {"kv_bytes", m.kv_bytes},
                       {"latency", latency_json(m.latency)},
                       {"wall", latency_json(m.wall)},
                       {"mean_stages_s",
                        {{"retrieval", m.mean_stages.retrieval_s},
                         {"assembly", m.mean_stages.assembly_s},
                         {"forward", m.mean_stages.forward_s},
                         {"decode", m.mean_stages.decode_s}}},
                       {"mean_context_tokens", m.mean_context_tokens},
                       {"correct", m.correct},
                       {"accuracy", static_cast<double>(m.correct) / std::max(1, report.n_queries)},
                       {"peak_rss_bytes", m.peak_rss_bytes}});
    if (!m.device.seconds.empty()) methods.back()["device"] = latency_json(m.device);
    methods.back()["warmup_seconds"] = m.warmup_seconds;
  }
  j["ratios"] = {{"basis", "mean per-query latency"},
                 {"dbsa_over_cached_icl", report.dbsa_over_cached_icl},
                 {"retrieval_icl_over_dbsa", report.retrieval_icl_over_dbsa},
                 {"dbsa_over_zero_shot", report.dbsa_over_zero_shot}};
  j["ratios_p50"] = {{"basis", "median per-query latency"},
                     {"dbsa_over_cached_icl", report.dbsa_over_cached_icl_p50},
                     {"retrieval_icl_over_dbsa", report.retrieval_icl_over_dbsa_p50},
                     {"dbsa_over_zero_shot", report.dbsa_over_zero_shot_p50}};
  j["targets"] = {{"dbsa_over_cached_icl_max", 0.5},
                  {"retrieval_icl_over_dbsa_min", 50.0},
                  {"dbsa_over_zero_shot_max", 2.5}};
  return j.dump(2);
}

}  // namespace dbsa
