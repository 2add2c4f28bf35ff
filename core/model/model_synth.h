#pragma once
// Deterministic random-weight Llama models: the built-in default model, test models of any size, and
// `dbsa model synth`. Same spec -> byte-identical file.
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/ggml_type.h"
#include "model/gguf_writer.h"
#include "util/progress.h"

namespace dbsa {

struct SynthSpec {
  uint32_t n_embd = 64;
  uint32_t n_layer = 2;
  uint32_t n_head = 4;
  uint32_t n_head_kv = 2;
  uint32_t n_ff = 160;
  uint32_t n_ctx = 4096;
  float rope_base = 10000.0f;
  uint64_t seed = 1234;
  GgmlType weight_type = GgmlType::F32;  // matrices: F32, F16 or Q8_0 (norms are always F32)
  // Path of a GGUF whose tokenizer.* keys are copied; empty = the built-in byte-level SPM vocabulary.
  std::string tokenizer_from;
  // Non-empty: tokenizer.ggml.pre of the copy (one vocabulary under another pre-tokenizer's rules, as
  // tests/cli/cli_pre_tokenizers.sh uses it). Needs tokenizer_from.
  std::string tokenizer_pre;
  std::string name = "dbsa-synth";
};

// "tiny" (64 embd, 2 layers, 4/2 heads, ffn 160) and "smollm-135m" (576 embd, 30 layers, 9/3 heads,
// ffn 1536, ctx 8192); throws std::invalid_argument listing the presets for another name.
SynthSpec synth_preset(std::string_view name);
std::vector<std::string> synth_preset_names();

class SynthCancelled : public std::runtime_error {
 public:
  SynthCancelled() : std::runtime_error("model synthesis cancelled") {}
};

// Called with the fraction of tensors generated; returning false cancels (SynthCancelled is thrown and
// no file is written).
using SynthProgress = Progress;

// Writes the model atomically. Weights ~ N(0, 0.02^2) from a per-tensor stream seeded by (seed, tensor
// name); norms are 1; output tied to token_embd. Throws std::invalid_argument on an inconsistent spec,
// GgufError on I/O or tokenizer-source problems.
void synth_model(const SynthSpec& spec, const std::string& out_path, const SynthProgress& progress = {});

// The metadata + tensors as a writer (for tests that want the image without touching disk).
GgufWriter synth_writer(const SynthSpec& spec, const SynthProgress& progress = {});

// Adds the built-in tokenizer.* keys (tokenizer.ggml.model "llama": <unk>, <s>, </s>, the 256 byte
// tokens <0x00>..<0xFF>, printable ASCII and common "▁word" pieces); returns the vocabulary size.
uint32_t add_builtin_spm_vocab(GgufWriter& w);

}  // namespace dbsa
