// `dbsa logits`: one forward pass over a prompt; the last position's logits as raw float32, and
// optionally every position's argmax and max logit (the format of the reference fixtures).
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/cli_options.h"
#include "engine/backend_registry.h"
#include "engine/llama_model.h"
#include "engine/sampling.h"
#include "text/tokenizer.h"

namespace dbsa::cli {
namespace {

struct LogitsArgs {
  std::string model, out, all_positions;
  TextArgs prompt;
  WeightArgs weights;
  bool no_bos = false;
};

void run_logits(const LogitsArgs& a) {
  const PromptedModel pm = load_prompted_model(a.model, a.weights, a.prompt, a.no_bos, "logits");
  LlamaModel& model = *pm.model;
  const std::vector<int32_t>& tokens = pm.tokens;
  const auto vocab = static_cast<int64_t>(model.hparams().n_vocab);
  std::ofstream pos_out;
  if (!a.all_positions.empty()) {
    pos_out.open(a.all_positions);
    if (!pos_out) throw std::runtime_error(a.all_positions + ": cannot create file");
  }
  std::vector<float> last;
  KvCache cache = model.make_cache(static_cast<int64_t>(tokens.size()));
  // A device backend runs the whole pass in device memory when it can (engine/forward_runner.h).
  const auto runner = make_forward_runner(a.weights.backend, model);
  const auto run = [&](const ForwardRequest& r) {
    return runner ? runner->forward(r) : model.forward(cache, r);
  };
  ForwardRequest req;
  req.tokens = tokens;
  if (pos_out.is_open()) {
    req.logits = LogitsMode::All;
    req.on_logits = [&](int64_t first, int64_t n, const float* l) {
      for (int64_t i = 0; i < n; ++i) {
        const std::span<const float> row(l + i * vocab, static_cast<size_t>(vocab));
        const int32_t best = argmax(row);
        pos_out << (first + i) << " " << best << " " << row[static_cast<size_t>(best)] << "\n";
        if (first + i + 1 == static_cast<int64_t>(tokens.size())) last.assign(row.begin(), row.end());
      }
    };
    run(req);
  } else {
    last = run(req).logits;
  }
  write_f32_file(a.out, last);
  std::cerr << tokens.size() << " tokens, " << vocab << " logits written to " << a.out << "\n";
}

}  // namespace

void register_logits_command(CLI::App& app) {
  auto a = std::make_shared<LogitsArgs>();
  auto* c = app.add_subcommand("logits", "Logits of a prompt's last position (float32 little-endian)");
  add_model_option(c, a->model)->required();
  add_text_options(c, a->prompt, "prompt", "p");
  c->add_option("--out,-o", a->out, "Output file for the last position's logits")->required();
  c->add_option("--all-positions", a->all_positions, "Also write `i argmax max_logit` for every position");
  add_weight_options(c, a->weights);
  c->add_flag("--no-bos", a->no_bos, "Do not add BOS even when the tokenizer does");
  c->callback([a] { run_logits(*a); });
}

}  // namespace dbsa::cli
