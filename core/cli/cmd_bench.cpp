// `dbsa bench prefill|decode` (`bench dbsa|encode` live in cmd_bench_dbsa.cpp / cmd_bench_encode.cpp):
// forward-pass throughput on random tokens, next to the GFLOP/s of an OpenBLAS sgemm of the model's own
// matmul shapes measured in the same run (the machine's practical peak at that moment: shared machines drift
// by 1.5× between runs, ratios do not).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <cblas.h>

#include "cli/cli.h"
#include "cli/cli_options.h"
#include "cli/cmd_bench_method.h"
#include "engine/backend_registry.h"
#include "engine/llama_model.h"
#include "engine/matmul.h"
#include "util/bench_stats.h"

namespace dbsa::cli {
namespace {

struct BenchArgs {
  std::string model;
  std::string tokens = "512";
  int threads = 2;
  int repeats = 3;
  int n_decode = 32;
  bool json = false;
  PrecisionFlags precision;
  std::string kv_cache = "f32";
  std::string backend = "cpu";
  int64_t max_context = 0;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double peak_rss_mb() {
  return static_cast<double>(peak_rss_bytes()) / 1048576.0;
}

// GFLOP/s of sgemm on [m × k]·[k × n] products shaped like the model's projections, best of a few runs
// of OpenBLAS driven by the engine's pool, single-threaded in each task as the engine drives it: the
// practical peak the forward pass is compared with. Never OpenBLAS's own threads: its worker spins about
// 2^28 cycles (~0.1 s) after each threaded call, and on 2 cores it then took a core from the next timed
// pass (SmolLM Q4_K_M, 4 tokens: 37 ms a pass for the first ~0.2 s after such a call, then 12 ms).
double sgemm_peak_gflops(Backend& backend, const ModelHParams& hp, int64_t m) {
  m = std::min<int64_t>(m, 2048);
  const int64_t e = hp.n_embd, q = static_cast<int64_t>(hp.n_head) * hp.head_dim, f = hp.n_ff;
  const std::pair<int64_t, int64_t> shapes[] = {{e, q}, {e, f}, {f, e}};  // (k, n)
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> a(static_cast<size_t>(m * std::max(e, f))),
      b(static_cast<size_t>(std::max(e, f) * std::max({e, f, q}))),
      c(static_cast<size_t>(m * std::max({e, f, q})));
  for (auto& x : a) x = u(rng);
  for (auto& x : b) x = u(rng);
  double best = 0.0;
  std::vector<WeightMatrix> mats;
  for (const auto& [k, n] : shapes)
    mats.push_back(make_f32_matrix("peak", n, k, std::vector<float>(b.begin(), b.begin() + n * k)));
  for (int rep = 0; rep < 3; ++rep) {
    double flops = 0.0;
    const auto t0 = Clock::now();
    for (const auto& w : mats) {
      backend.matmul(a.data(), m, w, c.data());
      flops += 2.0 * static_cast<double>(m) * static_cast<double>(w.rows) * static_cast<double>(w.cols);
    }
    best = std::max(best, flops / seconds_since(t0) / 1e9);
  }
  return best;
}

// Every length is checked against the context before the weights load; decode contexts need room for
// the timed steps after them.
std::unique_ptr<LlamaModel> load_bench_model(const BenchArgs& a, std::string_view bench, int64_t extra) {
  std::shared_ptr<const GgufFile> file = GgufFile::open(a.model);
  const ContextLimit limit = context_limit_for(read_hparams(*file), a.model, a.max_context);
  for (int64_t n : parse_positive_list(a.tokens, "--tokens"))
    check_context(limit, n + extra,
                  "bench " + std::string(bench) + ": --tokens " + std::to_string(n) +
                      (extra > 0 ? " + --n-decode " + std::to_string(extra) : ""));
  return load_model(std::move(file), a.backend, a.threads, a.precision.value(), parse_kv_type(a.kv_cache));
}

std::vector<int32_t> random_tokens(int64_t n, uint32_t vocab) {
  std::mt19937_64 rng(1234);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& x : t) x = static_cast<int32_t>(rng() % vocab);
  return t;
}

// The types the matrices are held as, e.g. "Q4_K+Q6_K" for a Q4_K_M file held in its blocks.
std::string weight_kind(const LlamaModel& m) {
  std::string out;
  std::vector<std::string_view> seen;
  for (const WeightMatrix* w : m.weights().matrices()) {
    const std::string_view t = weight_type_name(w->type);
    if (std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
    seen.push_back(t);
    out.append(out.empty() ? "" : "+").append(t);
  }
  return out;
}

// Device backends (--backend cuda) run whole passes in device memory (engine/forward_runner.h) and are
// timed on the device clock (CUDA events) next to wall time. No sgemm-peak ratio: the CPU's peak says
// nothing about a GPU.
// One pass on the runner: (device seconds, wall seconds) appended to the two lists.
void timed_pass(ForwardRunner& runner, DeviceTimer& timer, const ForwardRequest& req,
                std::vector<double>& device, std::vector<double>& wall) {
  timer.start();
  const auto t0 = Clock::now();
  runner.forward(req);
  device.push_back(timer.stop_seconds());
  wall.push_back(seconds_since(t0));
}

void run_prefill_device(const BenchArgs& a, const LlamaModel& model, ForwardRunner& runner) {
  const auto& hp = model.hparams();
  const auto timer = runner.device_timer();
  std::ostringstream js;
  js << "{\"bench\":\"prefill\",\"model\":\"" << a.model << "\",\"weights\":\"" << weight_kind(model)
     << "\",\"backend\":\"" << a.backend << "\",\"runs\":[";
  bool first = true;
  for (int64_t n : parse_positive_list(a.tokens, "--tokens")) {
    const auto toks = random_tokens(n, hp.n_vocab);
    const double flops = model.flops(n, AttentionLayout::dense_causal(n).visible_pairs(), LogitsMode::Last);
    ForwardRequest req;
    req.tokens = toks;
    runner.truncate_cache(0);
    runner.forward(req);  // warm-up: first-use allocations and cuBLAS heuristics are not the pass
    std::vector<double> device, wall;
    for (int r = 0; r < a.repeats; ++r) {
      runner.truncate_cache(0);
      timed_pass(runner, *timer, req, device, wall);
    }
    const double t = median(device);
    if (!a.json)
      std::printf(
          "prefill %6lld tokens on %s: %9.1f tokens/s  %8.1f GFLOP/s  (median device time of %d runs, "
          "CUDA events: %.4f s; wall %.4f s)\n",
          static_cast<long long>(n), a.backend.c_str(), static_cast<double>(n) / t, flops / t / 1e9,
          a.repeats, t, median(wall));
    js << (first ? "" : ",") << "{\"tokens\":" << n << ",\"device_seconds\":[";
    for (size_t i = 0; i < device.size(); ++i) js << (i ? "," : "") << device[i];
    js << "],\"device_seconds_median\":" << t << ",\"wall_seconds_median\":" << median(wall)
       << ",\"tokens_per_s\":" << static_cast<double>(n) / t << ",\"gflop\":" << flops / 1e9
       << ",\"gflops\":" << flops / t / 1e9 << "}";
    first = false;
  }
  js << "]}";
  if (a.json) std::cout << js.str() << "\n";
}

void run_decode_device(const BenchArgs& a, const LlamaModel& model, ForwardRunner& runner) {
  const auto& hp = model.hparams();
  const auto timer = runner.device_timer();
  std::ostringstream js;
  js << "{\"bench\":\"decode\",\"model\":\"" << a.model << "\",\"weights\":\"" << weight_kind(model)
     << "\",\"backend\":\"" << a.backend << "\",\"n_decode\":" << a.n_decode << ",\"runs\":[";
  bool first = true;
  for (int64_t n : parse_positive_list(a.tokens, "--tokens")) {
    const auto toks = random_tokens(n + a.n_decode, hp.n_vocab);
    runner.truncate_cache(0);
    ForwardRequest req;
    req.tokens = std::span<const int32_t>(toks).first(static_cast<size_t>(n));
    runner.forward(req);
    std::vector<double> device, wall;
    for (int i = 0; i < a.n_decode; ++i) {
      ForwardRequest step;
      step.tokens = std::span<const int32_t>(toks).subspan(static_cast<size_t>(n + i), 1);
      timed_pass(runner, *timer, step, device, wall);
    }
    const double t = median(device);
    if (!a.json)
      std::printf(
          "decode after %6lld tokens on %s: %8.1f tokens/s (median device step %.3f ms, CUDA events; "
          "wall %.3f ms; %d steps)\n",
          static_cast<long long>(n), a.backend.c_str(), 1.0 / t, 1e3 * t, 1e3 * median(wall), a.n_decode);
    js << (first ? "" : ",") << "{\"context_tokens\":" << n << ",\"device_step_seconds_median\":" << t
       << ",\"wall_step_seconds_median\":" << median(wall) << ",\"tokens_per_s\":" << 1.0 / t << "}";
    first = false;
  }
  js << "]}";
  if (a.json) std::cout << js.str() << "\n";
}

void run_prefill(const BenchArgs& a) {
  auto model = load_bench_model(a, "prefill", 0);
  if (auto runner = make_forward_runner(a.backend, *model)) return run_prefill_device(a, *model, *runner);
  const auto& hp = model->hparams();
  std::ostringstream js;
  js << "{\"bench\":\"prefill\",\"model\":\"" << a.model << "\",\"weights\":\"" << weight_kind(*model)
     << "\",\"kv_cache\":\"" << a.kv_cache << "\",\"backend\":\"" << a.backend
     << "\",\"threads\":" << a.threads << ",\"runs\":[";
  bool first = true;
  for (int64_t n : parse_positive_list(a.tokens, "--tokens")) {
    const auto toks = random_tokens(n, hp.n_vocab);
    const double flops = model->flops(n, AttentionLayout::dense_causal(n).visible_pairs(), LogitsMode::Last);
    // Each run is paired with an sgemm measurement right after it, so load changes on a shared
    // machine move both sides of the ratio together; the median ratio is reported.
    std::vector<double> times, peaks, fractions;
    int64_t kv_bytes = 0;
    double rss = 0.0;
    ForwardRequest req;
    req.tokens = toks;
    // Warm-up, as the device path and llama-bench run one, but for at least 0.3 s: the first pass faults
    // the mapped weights in and sizes the scratch buffers, and passes in the first ~0.2 s of a process
    // ran slow whether or not OpenBLAS had worker threads (SmolLM Q4_K_M, 4 tokens, 2 threads: 18-30 ms
    // against 12 later).
    for (const auto w0 = Clock::now(); seconds_since(w0) < 0.3;) {
      KvCache cache = model->make_cache(n);
      model->forward(cache, req);
    }
    for (int r = 0; r < a.repeats; ++r) {
      KvCache cache = model->make_cache(n);
      const auto t0 = Clock::now();
      model->forward(cache, req);
      times.push_back(seconds_since(t0));
      kv_bytes = cache.bytes();
      // The prefill's own peak, before the sgemm measurement's matrices are allocated beside it.
      if (r == 0) rss = peak_rss_mb();
      peaks.push_back(sgemm_peak_gflops(model->backend(), hp, n));
      fractions.push_back(flops / times.back() / 1e9 / peaks.back());
    }
    const double t = median(times);
    const double gflops = flops / t / 1e9;
    const double peak = median(peaks);
    const double frac = median(fractions);
    if (!a.json)
      std::printf(
          "prefill %6lld tokens: %8.1f tokens/s  %6.1f GFLOP/s  sgemm peak %6.1f GFLOP/s  -> %4.1f%%  "
          "(medians of %d paired runs: %.3f s; peak RSS %.0f MB, KV %.0f MB)\n",
          static_cast<long long>(n), static_cast<double>(n) / t, gflops, peak, 100.0 * gflops / peak,
          a.repeats, t, rss, static_cast<double>(kv_bytes) / 1048576.0);
    js << (first ? "" : ",") << "{\"tokens\":" << n << ",\"seconds\":[";
    for (size_t i = 0; i < times.size(); ++i) js << (i ? "," : "") << times[i];
    js << "],\"seconds_median\":" << t << ",\"tokens_per_s\":" << static_cast<double>(n) / t
       << ",\"gflop\":" << flops / 1e9 << ",\"gflops\":" << gflops << ",\"sgemm_peak_gflops\":" << peak
       << ",\"fraction_of_sgemm_peak\":" << frac << ",\"fractions\":[";
    for (size_t i = 0; i < fractions.size(); ++i) js << (i ? "," : "") << fractions[i];
    js << "],\"peak_rss_mb\":" << rss << ",\"kv_cache_mb\":" << static_cast<double>(kv_bytes) / 1048576.0
       << "}";
    first = false;
  }
  js << "]}";
  if (a.json) std::cout << js.str() << "\n";
}

void run_decode(const BenchArgs& a) {
  auto model = load_bench_model(a, "decode", a.n_decode);
  if (auto runner = make_forward_runner(a.backend, *model)) return run_decode_device(a, *model, *runner);
  const auto& hp = model->hparams();
  std::ostringstream js;
  js << "{\"bench\":\"decode\",\"model\":\"" << a.model << "\",\"weights\":\"" << weight_kind(*model)
     << "\",\"kv_cache\":\"" << a.kv_cache << "\",\"backend\":\"" << a.backend
     << "\",\"threads\":" << a.threads << ",\"n_decode\":" << a.n_decode << ",\"runs\":[";
  bool first = true;
  for (int64_t n : parse_positive_list(a.tokens, "--tokens")) {
    const auto toks = random_tokens(n + a.n_decode, hp.n_vocab);
    KvCache cache = model->make_cache(n + a.n_decode);
    ForwardRequest req;
    req.tokens = std::span<const int32_t>(toks).first(static_cast<size_t>(n));
    model->forward(cache, req);
    std::vector<double> times;
    for (int i = 0; i < a.n_decode; ++i) {
      ForwardRequest step;
      step.tokens = std::span<const int32_t>(toks).subspan(static_cast<size_t>(n + i), 1);
      const auto t0 = Clock::now();
      model->forward(cache, step);
      times.push_back(seconds_since(t0));
    }
    const double t = median(times);
    if (!a.json)
      std::printf("decode after %6lld tokens: %8.1f tokens/s (median step %.2f ms over %d steps)\n",
                  static_cast<long long>(n), 1.0 / t, 1e3 * t, a.n_decode);
    js << (first ? "" : ",") << "{\"context_tokens\":" << n << ",\"step_seconds_median\":" << t
       << ",\"tokens_per_s\":" << 1.0 / t << ",\"peak_rss_mb\":" << peak_rss_mb()
       << ",\"kv_cache_mb\":" << static_cast<double>(cache.bytes()) / 1048576.0 << "}";
    first = false;
  }
  js << "]}";
  if (a.json) std::cout << js.str() << "\n";
}

void add_common(CLI::App* c, BenchArgs& a) {
  add_model_option(c, a.model)->required();
  c->add_option("--tokens", a.tokens, "Comma-separated token counts (prefill lengths / decode contexts)");
  add_threads_option(c, a.threads, "--threads,-t", "Threads")->check(at_least(1));
  c->add_flag("--json", a.json, "Print one JSON object instead of text");
  add_precision_flags(c, a.precision);
  add_kv_cache_option(c, a.kv_cache);
  add_backend_option(c, a.backend);
  add_max_context_option(c, a.max_context);
}

}  // namespace

void register_bench_commands(CLI::App& app) {
  // Other layers add their own `bench` subcommands (e.g. `bench dbsa`): share the group.
  CLI::App* bench = nullptr;
  for (CLI::App* sub : app.get_subcommands({}))
    if (sub->get_name() == "bench") bench = sub;
  if (!bench) {
    bench = app.add_subcommand("bench", "Benchmarks (JSON with --json)");
    bench->require_subcommand(1);
  }
  auto pa = std::make_shared<BenchArgs>();
  auto* p = bench->add_subcommand("prefill", "Prompt-processing throughput and fraction of the sgemm peak");
  add_common(p, *pa);
  add_count_option(p, "--repeats", pa->repeats, 1, "Runs per length (the median is reported)");
  p->callback([pa] { run_prefill(*pa); });
  auto da = std::make_shared<BenchArgs>();
  auto* d = bench->add_subcommand("decode", "Single-token decode throughput after a context");
  add_common(d, *da);
  add_count_option(d, "--n-decode", da->n_decode, 1, "Decode steps to time");
  d->callback([da] { run_decode(*da); });
  register_bench_dbsa_command(*bench);
  register_bench_encode_command(*bench);
}

}  // namespace dbsa::cli
