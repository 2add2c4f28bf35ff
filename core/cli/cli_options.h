#pragma once
// Options several commands share, declared once so they are spelled and behave the same everywhere.
#include <CLI/CLI.hpp>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/llama_model.h"
#include "model/context_limit.h"
#include "model/gguf_file.h"
#include "model/model_hparams.h"
#include "text/tokenizer.h"
#include "util/file_lock.h"

namespace dbsa::cli {

// --model (or a positional MODEL): a GGUF path, or `builtin` for the project's trained model
// (model/builtin_model.h), resolved to its path while the command line is parsed.
CLI::Option* add_model_option(
    CLI::App* cmd, std::string& model, const std::string& name = "--model,-m",
    const std::string& help = "GGUF model, or `builtin` (the project's trained model)");

// A thread count option (0 = all cores), bounded by engine/thread_pool.h's max_pool_threads(): an
// excessive count is a one-line parse error naming the limit, before anything loads.
CLI::Option* add_threads_option(CLI::App* cmd, int& threads, const std::string& name,
                                const std::string& help);

// Accepts a whole number >= min; anything else is "VALUE: must be a whole number >= MIN".
CLI::Validator at_least(int64_t min);
// An integer option that must be at least `min`: anything else is a one-line parse error
// ("--max-tokens: 0: must be a whole number >= 1"), never a range of numeric limits.
CLI::Option* add_count_option(CLI::App* cmd, const std::string& name, int32_t& value, int64_t min,
                              const std::string& help);
CLI::Option* add_count_option(CLI::App* cmd, const std::string& name, int64_t& value, int64_t min,
                              const std::string& help);

// --weights-f16 / --weights-f32 (excluding each other): how the weights are held, native otherwise.
struct PrecisionFlags {
  bool f16 = false, f32 = false;
  WeightPrecision value() const {
    return f32 ? WeightPrecision::F32 : f16 ? WeightPrecision::F16 : WeightPrecision::Native;
  }
};
void add_precision_flags(CLI::App* cmd, PrecisionFlags& p);

// --kv-cache f32|f16: the type of the model's KV caches (engine/kv_cache.h, KvType).
void add_kv_cache_option(CLI::App* cmd, std::string& kv_cache);

// --threads, --weights-f16/-f32, --kv-cache, --backend and --max-context: how a model is loaded, which
// backend runs it and the longest sequence it may be given.
struct WeightArgs {
  int threads = 0;  // 0: all cores (CPU backend)
  PrecisionFlags precision;
  std::string kv_cache = "f32";
  std::string backend = "cpu";  // a name of engine/backend_registry.h ("cpu", "cuda" when built)
  int64_t max_context = 0;      // 0: the model's own context length
};
void add_weight_options(CLI::App* cmd, WeightArgs& w);
// --max-context N (>= 1; 0 when not given): the longest token sequence a command runs, instead of the
// model's context length. Added by add_weight_options, the benches and the evaluations.
CLI::Option* add_max_context_option(CLI::App* cmd, int64_t& max_context);

// --backend NAME alone (commands that load models their own way).
void add_backend_option(CLI::App* cmd, std::string& backend);
std::unique_ptr<LlamaModel> load_llama(std::shared_ptr<const GgufFile> file, const WeightArgs& w);

// A text given inline or as a file (--text/--text-file, --prompt/--prompt-file), exactly one of them. A
// file's bytes are the text, less a leading UTF-8 byte order mark.
struct TextArgs {
  std::string text;
  std::string file;
  CLI::Option* text_opt = nullptr;
  CLI::Option* file_opt = nullptr;
};
// name is "text" or "prompt": adds --NAME,-SHORT and --NAME-file,-f.
void add_text_options(CLI::App* cmd, TextArgs& t, const std::string& name, const std::string& short_flag);
// The text; throws "<cmd>: give --NAME or --NAME-file" when neither was given.
std::string read_text_arg(const TextArgs& t, std::string_view cmd);
// Where the text came from, for messages: "--NAME-file PATH" or "--NAME".
std::string text_arg_origin(const TextArgs& t);

// A model, its tokenizer and a prompt's tokens (BOS first unless no_bos): where `logits` and `generate`
// start. Throws "<cmd>: the prompt has no tokens" when the prompt encodes to nothing, and
// ContextLengthError, before the weights are loaded, when the prompt plus the `max_tokens` generate
// will add (`--max-tokens`; 0 for logits) exceeds the context limit.
struct PromptedModel {
  std::unique_ptr<Tokenizer> tok;
  std::unique_ptr<LlamaModel> model;
  std::vector<int32_t> tokens;
};
PromptedModel load_prompted_model(const std::string& model_path, const WeightArgs& w, const TextArgs& prompt,
                                  bool no_bos, std::string_view cmd, int64_t max_tokens = 0);

// A comma-separated list of integers >= 1 (--tokens of the benches); throws naming the option and item.
std::vector<int64_t> parse_positive_list(const std::string& value, std::string_view option);

// --lock-timeout SECONDS: how long a command that writes a cache waits for another process writing the
// same one (cache/cache_lock.h). Unset: as long as that process writes; 0: refuse at once.
CLI::Option* add_lock_timeout_option(CLI::App* cmd, double& seconds);
// The wait of --lock-timeout, announcing on stderr (once, then every 10 s) whom it waits for.
LockWait announced_lock_wait(double seconds, std::string_view cmd);

// Raw float32 little-endian values (logits), written atomically.
void write_f32_file(const std::string& path, std::span<const float> values);

}  // namespace dbsa::cli
