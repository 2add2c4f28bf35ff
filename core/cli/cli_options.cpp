#include "cli/cli_options.h"

#include <cstdio>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "cache/cache_key.h"
#include "engine/backend_registry.h"
#include "engine/thread_pool.h"
#include "model/builtin_model.h"
#include "util/atomic_file.h"
#include "util/file_read.h"

namespace dbsa::cli {

CLI::Option* add_model_option(CLI::App* cmd, std::string& model, const std::string& name,
                              const std::string& help) {
  // A transform, so every later use of the string (the cache manifest's recorded path included) sees
  // the real file, and a missing built-in model fails as a parse error naming where it was looked for.
  const CLI::Validator builtin(
      [](std::string& value) {
        try {
          value = resolve_model_path(value).string();
        } catch (const std::exception& e) {
          return std::string(e.what());
        }
        return std::string();
      },
      "", "builtin");
  return cmd->add_option(name, model, help)->transform(builtin);
}

namespace {

// The whole text as a base-10 integer, or nothing (trailing characters, out of range, not a number).
std::optional<int64_t> whole_number(const std::string& value) {
  try {
    size_t used = 0;
    const int64_t n = std::stoll(value, &used);
    if (used == value.size()) return n;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace

CLI::Option* add_threads_option(CLI::App* cmd, int& threads, const std::string& name,
                                const std::string& help) {
  const CLI::Validator bound(
      [](const std::string& value) {
        const std::optional<int64_t> n = whole_number(value);
        if (!n) return "'" + value + "' is not a whole number";
        const std::string e = thread_count_error(*n);
        return e.empty() ? e : value + ": " + e;
      },
      "0.." + std::to_string(max_pool_threads()));
  return cmd->add_option(name, threads, help)->check(bound);
}

CLI::Validator at_least(int64_t min) {
  return CLI::Validator(
      [min](const std::string& value) {
        const std::optional<int64_t> n = whole_number(value);
        return n && *n >= min ? std::string() : value + ": must be a whole number >= " + std::to_string(min);
      },
      ">=" + std::to_string(min));
}

CLI::Option* add_count_option(CLI::App* cmd, const std::string& name, int32_t& value, int64_t min,
                              const std::string& help) {
  return cmd->add_option(name, value, help)->check(at_least(min));
}

CLI::Option* add_count_option(CLI::App* cmd, const std::string& name, int64_t& value, int64_t min,
                              const std::string& help) {
  return cmd->add_option(name, value, help)->check(at_least(min));
}

void add_precision_flags(CLI::App* cmd, PrecisionFlags& p) {
  auto* f16 =
      cmd->add_flag("--weights-f16", p.f16,
                    "Dequantize quantized weights to F16 at load (about 3.5x the memory of Q4_K) instead "
                    "of multiplying their blocks with integer kernels");
  auto* f32 =
      cmd->add_flag("--weights-f32", p.f32,
                    "Hold every weight as F32 (dequantize/expand at load): quantized weights then sum "
                    "exactly (closest agreement with the reference), at 7x the memory of Q4_K");
  f16->excludes(f32);
}

void add_kv_cache_option(CLI::App* cmd, std::string& kv_cache) {
  cmd->add_option("--kv-cache", kv_cache,
                  "Type of the KV cache of prompts and baselines: f32, or f16 (half the memory and the bytes "
                  "a decode over a long context reads; llama.cpp's default; backend cpu only). DBSA's block "
                  "store is F16 either way")
      ->check(CLI::IsMember({"f32", "f16"}))
      ->capture_default_str();
}

void add_weight_options(CLI::App* cmd, WeightArgs& w) {
  add_threads_option(cmd, w.threads, "--threads", "Threads (default: all cores)");
  add_precision_flags(cmd, w.precision);
  add_kv_cache_option(cmd, w.kv_cache);
  add_backend_option(cmd, w.backend);
  add_max_context_option(cmd, w.max_context);
}

CLI::Option* add_max_context_option(CLI::App* cmd, int64_t& max_context) {
  return add_count_option(cmd, "--max-context", max_context, 1,
                          "Longest token sequence to run (default: the model's context length, GGUF "
                          "<arch>.context_length); longer inputs are refused before any forward pass");
}

void add_backend_option(CLI::App* cmd, std::string& backend) {
  // Any name is accepted here: make_backend reports an unknown or unavailable one in a single line
  // that says why (e.g. "cuda" in a build without CUDA, or on a machine without a GPU).
  cmd->add_option("--backend", backend, backend_help())->capture_default_str();
}

std::unique_ptr<LlamaModel> load_llama(std::shared_ptr<const GgufFile> file, const WeightArgs& w) {
  const std::string path = file->path();
  auto model =
      load_model(std::move(file), w.backend, w.threads, w.precision.value(), parse_kv_type(w.kv_cache));
  model->set_context_limit(context_limit_for(model->hparams(), path, w.max_context));
  return model;
}

void add_text_options(CLI::App* cmd, TextArgs& t, const std::string& name, const std::string& short_flag) {
  t.text_opt = cmd->add_option("--" + name + (short_flag.empty() ? "" : ",-" + short_flag), t.text,
                               "The " + name + " text");
  t.file_opt = cmd->add_option("--" + name + "-file,-f", t.file, "File whose bytes are the " + name);
  t.text_opt->excludes(t.file_opt);
  t.file_opt->excludes(t.text_opt);
}

std::string read_text_arg(const TextArgs& t, std::string_view cmd) {
  if (t.file_opt && t.file_opt->count() > 0)
    return read_text_file(t.file, std::string(t.file_opt->get_name()).substr(2));
  if (t.text_opt && t.text_opt->count() > 0) return t.text;
  const std::string name = t.text_opt ? t.text_opt->get_name() : "--text";
  throw std::runtime_error(std::string(cmd) + ": give " + name + " or " + name + "-file");
}

std::string text_arg_origin(const TextArgs& t) {
  if (t.file_opt && t.file_opt->count() > 0) return t.file_opt->get_name() + " " + t.file;
  return t.text_opt ? t.text_opt->get_name() : "--text";
}

PromptedModel load_prompted_model(const std::string& model_path, const WeightArgs& w, const TextArgs& prompt,
                                  bool no_bos, std::string_view cmd, int64_t max_tokens) {
  std::shared_ptr<const GgufFile> file = GgufFile::open(model_path);
  PromptedModel p;
  p.tok = Tokenizer::from_gguf(*file);
  EncodeOptions eo;
  eo.add_bos = !no_bos;
  p.tokens = p.tok->encode(read_text_arg(prompt, cmd), eo);
  if (p.tokens.empty()) throw std::runtime_error(std::string(cmd) + ": the prompt has no tokens");
  // Checked before the weights load, so a prompt that cannot run is refused at once.
  const ContextLimit limit = context_limit_for(read_hparams(*file), model_path, w.max_context);
  const auto n = static_cast<int64_t>(p.tokens.size());
  check_context(limit, n, std::string(cmd) + ": the prompt (" + text_arg_origin(prompt) + ")");
  if (max_tokens > 0) {
    const int64_t room = limit.tokens - n;
    check_context(limit, n + max_tokens,
                  std::string(cmd) + ": the prompt's " + std::to_string(n) + " tokens + --max-tokens " +
                      std::to_string(max_tokens),
                  room > 0 ? "at most --max-tokens " + std::to_string(room) + " fits after this prompt"
                           : "the prompt alone fills the context");
  }
  p.model = load_llama(file, w);
  return p;
}

std::vector<int64_t> parse_positive_list(const std::string& value, std::string_view option) {
  std::vector<int64_t> out;
  std::stringstream ss(value);
  for (std::string item; std::getline(ss, item, ',');) {
    size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || n < 1)
      throw std::runtime_error(std::string(option) + " expects comma-separated integers >= 1, got '" + item +
                               "'");
    out.push_back(n);
  }
  if (out.empty()) throw std::runtime_error(std::string(option) + " is empty");
  return out;
}

void write_f32_file(const std::string& path, std::span<const float> values) {
  // float32 little-endian: the in-memory layout on the x86-64/ARM64 hosts we build for.
  write_file_atomic(path, std::as_bytes(values));
}

CLI::Option* add_lock_timeout_option(CLI::App* cmd, double& seconds) {
  return cmd
      ->add_option("--lock-timeout", seconds,
                   "Seconds to wait for another process writing the same cache (default: as long as it "
                   "writes; 0: do not wait)")
      ->check(CLI::NonNegativeNumber);
}

LockWait announced_lock_wait(double seconds, std::string_view cmd) {
  LockWait w;
  w.timeout_s = seconds;
  w.on_wait = [name = std::string(cmd)](long holder, double waited) {
    std::fprintf(stderr, "\r\033[Kdbsa %s: %s is writing the same cache; waiting (%ld s so far)\n",
                 name.c_str(), lock_holder_text(holder).c_str(), static_cast<long>(waited));
    return true;
  };
  return w;
}

}  // namespace dbsa::cli
