// `dbsa logits`: one forward pass over a prompt; the last position's logits as raw float32, and
// optionally every position's argmax and max logit (the format of the reference fixtures).
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/cli.h"
#include "engine/cpu_backend.h"
#include "engine/llama_model.h"
#include "engine/sampling.h"
#include "text/tokenizer.h"

namespace dbsa::cli {
namespace {

struct LogitsArgs {
  std::string model, prompt, prompt_file, out, all_positions;
  int threads = 0;
  bool weights_f32 = false;
  bool no_bos = false;
};

std::string read_prompt_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open prompt file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void run_logits(const LogitsArgs& a) {
  std::shared_ptr<const GgufFile> file = GgufFile::open(a.model);
  const auto tok = Tokenizer::from_gguf(*file);
  WeightLoadOptions wo;
  if (a.weights_f32) {
    wo.quantized_to = WeightType::F32;
    wo.expand_16bit = true;
  }
  LlamaModel model(ModelWeights::load(file, wo), std::make_shared<CpuBackend>(a.threads));
  EncodeOptions eo;
  eo.add_bos = !a.no_bos;
  const auto tokens = tok->encode(a.prompt_file.empty() ? a.prompt : read_prompt_file(a.prompt_file), eo);
  if (tokens.empty()) throw std::runtime_error("logits: the prompt has no tokens");
  const auto vocab = static_cast<int64_t>(model.hparams().n_vocab);
  std::ofstream pos_out;
  if (!a.all_positions.empty()) {
    pos_out.open(a.all_positions);
    if (!pos_out) throw std::runtime_error(a.all_positions + ": cannot create file");
  }
  std::vector<float> last;
  KvCache cache = model.make_cache(static_cast<int64_t>(tokens.size()));
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
    model.forward(cache, req);
  } else {
    last = model.forward(cache, req).logits;
  }
  std::ofstream out(a.out, std::ios::binary);
  if (!out) throw std::runtime_error(a.out + ": cannot create file");
  // float32 little-endian: the in-memory layout on the x86-64/ARM64 hosts we build for.
  out.write(reinterpret_cast<const char*>(last.data()),
            static_cast<std::streamsize>(last.size() * sizeof(float)));
  if (!out) throw std::runtime_error(a.out + ": write failed");
  std::cerr << tokens.size() << " tokens, " << vocab << " logits written to " << a.out << "\n";
}

}  // namespace

void register_logits_command(CLI::App& app) {
  auto a = std::make_shared<LogitsArgs>();
  auto* c = app.add_subcommand("logits", "Logits of a prompt's last position (float32 little-endian)");
  c->add_option("--model,-m", a->model, "GGUF model")->required();
  auto* p = c->add_option("--prompt,-p", a->prompt, "Prompt text");
  auto* f = c->add_option("--prompt-file,-f", a->prompt_file, "File whose bytes are the prompt");
  p->excludes(f);
  f->excludes(p);
  c->add_option("--out,-o", a->out, "Output file for the last position's logits")->required();
  c->add_option("--all-positions", a->all_positions, "Also write `i argmax max_logit` for every position");
  c->add_option("--threads,-t", a->threads, "Threads (default: all cores)");
  c->add_flag("--weights-f32", a->weights_f32, "Keep all weights as F32 (dequantize/expand at load)");
  c->add_flag("--no-bos", a->no_bos, "Do not add BOS even when the tokenizer does");
  c->callback([a, p, f] {
    if (p->count() == 0 && f->count() == 0)
      throw std::runtime_error("logits: give --prompt or --prompt-file");
    run_logits(*a);
  });
}

}  // namespace dbsa::cli
