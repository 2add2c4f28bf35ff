// `dbsa generate`: a prompt continued greedily or by seeded sampling, printed as it is produced.
#include <iostream>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/cli_options.h"
#include "engine/backend_registry.h"
#include "engine/generation.h"
#include "engine/llama_model.h"
#include "text/tokenizer.h"

namespace dbsa::cli {
namespace {

struct GenerateArgs {
  std::string model;
  TextArgs prompt;
  WeightArgs weights;
  int32_t max_tokens = 64;
  bool greedy = false, ids = false, no_bos = false, ignore_eos = false;
  float temperature = 0.8f, top_p = 0.95f;
  int32_t top_k = 40;
  uint64_t seed = 0;
};

void run_generate(const GenerateArgs& a) {
  const PromptedModel pm =
      load_prompted_model(a.model, a.weights, a.prompt, a.no_bos, "generate", a.max_tokens);
  const Tokenizer* tok = pm.tok.get();
  LlamaModel& model = *pm.model;
  const std::vector<int32_t>& prompt = pm.tokens;
  GenerateOptions go;
  go.max_tokens = a.max_tokens;
  if (!a.greedy) go.sampler = {a.temperature, a.top_k, a.top_p, a.seed};
  go.stop_token = a.ignore_eos ? -1 : tok->eos();
  // Text is printed as the decoded difference of the whole sequence, so multi-token characters and
  // SentencePiece's leading-space rule come out right.
  std::vector<int32_t> seq = prompt;
  std::string shown = a.ids ? std::string() : tok->decode(seq);
  if (a.ids) {
    for (size_t i = 0; i < prompt.size(); ++i) std::cout << (i ? " " : "") << prompt[i];
  } else {
    std::cout << shown;
  }
  std::cout.flush();
  go.on_token = [&](int32_t t) {
    seq.push_back(t);
    if (a.ids) {
      std::cout << " " << t;
    } else {
      const std::string now = tok->decode(seq);
      if (now.size() >= shown.size() && now.compare(0, shown.size(), shown) == 0)
        std::cout << now.substr(shown.size());
      shown = now;
    }
    std::cout.flush();
    return true;
  };
  // A device backend decodes in device memory when it can (engine/forward_runner.h).
  GenerateResult r;
  if (auto runner = make_forward_runner(a.weights.backend, model)) {
    r = generate(*runner, prompt, go);
  } else {
    KvCache cache = model.make_cache(static_cast<int64_t>(prompt.size()) + a.max_tokens);
    r = generate(model, cache, prompt, go);
  }
  std::cout << "\n";
  std::cerr << "prompt " << prompt.size() << " tokens in " << r.prefill_seconds << " s, " << r.tokens.size()
            << " generated at "
            << (r.decode_seconds > 0 ? static_cast<double>(r.tokens.size()) / r.decode_seconds : 0.0)
            << " tokens/s\n";
}

}  // namespace

void register_generate_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* c = app.add_subcommand("generate", "Continue a prompt (greedy or seeded sampling)");
  add_model_option(c, a->model)->required();
  add_text_options(c, a->prompt, "prompt", "p");
  add_count_option(c, "--max-tokens,-n", a->max_tokens, 1,
                   "Tokens to generate (the prompt and these must fit the context)");
  c->add_flag("--greedy", a->greedy, "Greedy decoding (the default is sampling)");
  c->add_flag("--ids", a->ids, "Print token ids instead of text");
  c->add_option("--temperature", a->temperature, "Sampling temperature")->check(CLI::PositiveNumber);
  c->add_option("--top-k", a->top_k, "Keep the k most likely tokens (0: all)")->check(CLI::NonNegativeNumber);
  c->add_option("--top-p", a->top_p, "Nucleus probability mass")->check(CLI::Range(0.0f, 1.0f));
  c->add_option("--seed", a->seed, "Random seed");
  add_weight_options(c, a->weights);
  c->add_flag("--no-bos", a->no_bos, "Do not add BOS even when the tokenizer does");
  c->add_flag("--ignore-eos", a->ignore_eos, "Keep generating after the end-of-sequence token");
  c->callback([a] { run_generate(*a); });
}

}  // namespace dbsa::cli
