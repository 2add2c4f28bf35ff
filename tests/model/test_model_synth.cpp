// Synthetic models: deterministic bytes, loadable, valid hyper-parameters, a usable SPM vocabulary.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include "gguf_test_util.h"
#include "model/dequantize.h"
#include "model/gguf_file.h"
#include "model/model_hparams.h"
#include "model/model_synth.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

TEST(ModelSynth, SameSpecGivesByteIdenticalFiles) {
  const auto dir = test::scratch_dir("synth_determinism");
  SynthSpec spec = synth_preset("tiny");
  synth_model(spec, (dir / "a.gguf").string());
  synth_model(spec, (dir / "b.gguf").string());
  const auto a = test::read_bytes(dir / "a.gguf");
  EXPECT_EQ(a, test::read_bytes(dir / "b.gguf"));
  EXPECT_EQ(a, synth_writer(spec).to_bytes());
  spec.seed += 1;
  EXPECT_NE(a, synth_writer(spec).to_bytes());
}

TEST(ModelSynth, TinyLoadsAndPassesReadHparams) {
  const auto dir = test::scratch_dir("synth_tiny");
  const std::string path = (dir / "tiny.gguf").string();
  synth_model(synth_preset("tiny"), path);
  const auto f = GgufFile::open(path);
  const ModelHParams hp = read_hparams(*f);
  EXPECT_EQ(hp.arch, "llama");
  EXPECT_EQ(hp.n_embd, 64u);
  EXPECT_EQ(hp.n_layer, 2u);
  EXPECT_EQ(hp.n_head, 4u);
  EXPECT_EQ(hp.n_head_kv, 2u);
  EXPECT_EQ(hp.n_ff, 160u);
  EXPECT_EQ(hp.head_dim, 16u);
  EXPECT_EQ(hp.rope_dim, 16u);
  EXPECT_TRUE(hp.tied_output);
  EXPECT_EQ(hp.n_vocab, f->get_array("tokenizer.ggml.tokens").items.size());
  EXPECT_EQ(f->get_u64("llama.vocab_size"), hp.n_vocab);

  // Weights ~ N(0, 0.02^2), norms exactly 1.
  const auto q = dequantize_tensor(f->tensor("blk.1.attn_q.weight"));
  double sum = 0, sq = 0;
  for (float v : q) sum += v, sq += static_cast<double>(v) * v;
  EXPECT_NEAR(sum / static_cast<double>(q.size()), 0.0, 0.002);
  EXPECT_NEAR(std::sqrt(sq / static_cast<double>(q.size())), 0.02, 0.002);
  for (float v : dequantize_tensor(f->tensor("blk.0.ffn_norm.weight"))) ASSERT_EQ(v, 1.0f);
  // Different tensors draw different streams.
  EXPECT_NE(dequantize_tensor(f->tensor("blk.0.attn_q.weight")), q);
}

TEST(ModelSynth, F16AndQ8_0WeightsAreTheF32WeightsRounded) {
  SynthSpec spec = synth_preset("tiny");
  const auto f32 = GgufFile::from_bytes(synth_writer(spec).to_bytes());
  spec.weight_type = GgmlType::F16;
  const auto f16 = GgufFile::from_bytes(synth_writer(spec).to_bytes());
  spec.weight_type = GgmlType::Q8_0;
  const auto q8 = GgufFile::from_bytes(synth_writer(spec).to_bytes());
  EXPECT_EQ(read_hparams(*q8).n_layer, 2u);
  EXPECT_EQ(q8->get_u64("general.file_type"), 7u);
  EXPECT_EQ(f16->tensor("blk.0.ffn_down.weight").type, GgmlType::F16);
  EXPECT_EQ(q8->tensor("blk.0.ffn_down.weight").type, GgmlType::Q8_0);
  EXPECT_EQ(q8->tensor("output_norm.weight").type, GgmlType::F32);
  const auto ref = dequantize_tensor(f32->tensor("blk.0.ffn_down.weight"));
  const auto h = dequantize_tensor(f16->tensor("blk.0.ffn_down.weight"));
  const auto q = dequantize_tensor(q8->tensor("blk.0.ffn_down.weight"));
  for (size_t b = 0; b < ref.size(); b += 32) {
    float amax = 0;
    for (size_t i = b; i < b + 32; ++i) amax = std::fmax(amax, std::fabs(ref[i]));
    for (size_t i = b; i < b + 32; ++i) {
      ASSERT_EQ(h[i], f16_to_f32(f32_to_f16(ref[i])));
      ASSERT_LE(std::fabs(q[i] - ref[i]), amax / 127.0f * 0.56f);
    }
  }
}

TEST(ModelSynth, BuiltInVocabularyIsAValidSpmVocabulary) {
  const auto f = GgufFile::from_bytes(synth_writer(synth_preset("tiny")).to_bytes());
  EXPECT_EQ(f->get_string("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(f->get_u64("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(f->get_u64("tokenizer.ggml.eos_token_id"), 2u);
  EXPECT_EQ(f->get_u64("tokenizer.ggml.unknown_token_id"), 0u);
  EXPECT_TRUE(f->get_bool("tokenizer.ggml.add_bos_token"));
  const auto& tokens = f->get_array("tokenizer.ggml.tokens").items;
  const auto& scores = f->get_array("tokenizer.ggml.scores").items;
  const auto& types = f->get_array("tokenizer.ggml.token_type").items;
  ASSERT_EQ(tokens.size(), scores.size());
  ASSERT_EQ(tokens.size(), types.size());
  EXPECT_GT(tokens.size(), 259u + 95u + 300u);
  EXPECT_EQ(tokens[0].as_string(), "<unk>");
  EXPECT_EQ(tokens[1].as_string(), "<s>");
  EXPECT_EQ(tokens[2].as_string(), "</s>");
  EXPECT_EQ(types[0].as_i64(), 2);
  EXPECT_EQ(types[1].as_i64(), 3);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    ASSERT_EQ(tokens[3 + b].as_string(), name);
    ASSERT_EQ(types[3 + b].as_i64(), 6);
  }
  std::set<std::string> vocab;
  for (const auto& t : tokens)
    ASSERT_TRUE(vocab.insert(t.as_string()).second) << "duplicate " << t.as_string();
  for (char c = '!'; c <= '~'; ++c) EXPECT_TRUE(vocab.count(std::string(1, c))) << c;
  const std::string space = "\xe2\x96\x81";
  EXPECT_TRUE(vocab.count(space));
  EXPECT_TRUE(vocab.count(space + "the"));
  EXPECT_TRUE(vocab.count(space + "answer"));
  // SPM merges adjacent pieces pairwise: every normal piece longer than one character must be the
  // concatenation of two pieces in the vocabulary, or it could never be produced.
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i].as_i64() != 1) continue;
    const std::string& s = tokens[i].as_string();
    if (s == space || s.size() == 1) continue;
    bool splittable = false;
    for (size_t k = 1; k < s.size() && !splittable; ++k) {
      splittable = vocab.count(s.substr(0, k)) && vocab.count(s.substr(k));
    }
    EXPECT_TRUE(splittable) << s;
  }
}

TEST(ModelSynth, TokenizerCopiedFromAnotherFile) {
  SynthSpec spec = synth_preset("tiny");
  spec.tokenizer_from = test::fixture("tokenizer/ggml-vocab-llama-spm.gguf").string();
  const auto f = GgufFile::from_bytes(synth_writer(spec).to_bytes());
  const auto hp = read_hparams(*f);
  EXPECT_EQ(hp.n_vocab, 32000u);
  EXPECT_EQ(f->tensor("token_embd.weight").dims, (std::vector<uint64_t>{64, 32000}));
  EXPECT_EQ(f->get_array("tokenizer.ggml.scores").items.size(), 32000u);

  spec.tokenizer_from = test::fixture("models/no-such-file.gguf").string();
  EXPECT_THROW(synth_writer(spec), GgufError);
}

TEST(ModelSynth, PresetsAndSpecValidation) {
  const SynthSpec s = synth_preset("smollm-135m");
  EXPECT_EQ(s.n_embd, 576u);
  EXPECT_EQ(s.n_layer, 30u);
  EXPECT_EQ(s.n_head, 9u);
  EXPECT_EQ(s.n_head_kv, 3u);
  EXPECT_EQ(s.n_ff, 1536u);
  EXPECT_EQ(s.n_ctx, 8192u);
  EXPECT_EQ(synth_preset_names().size(), 2u);
  try {
    synth_preset("huge");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("tiny, smollm-135m"), std::string::npos) << e.what();
  }
  SynthSpec bad = synth_preset("tiny");
  bad.n_head_kv = 3;
  EXPECT_THROW(synth_writer(bad), std::invalid_argument);
  bad = synth_preset("tiny");
  bad.weight_type = GgmlType::Q4_K;
  EXPECT_THROW(synth_writer(bad), std::invalid_argument);
  bad = synth_preset("tiny");
  bad.weight_type = GgmlType::Q8_0;
  bad.n_ff = 100;  // not a multiple of 32
  EXPECT_THROW(synth_writer(bad), std::invalid_argument);
}

TEST(ModelSynth, ProgressIsReportedAndCancellationWritesNothing) {
  const auto dir = test::scratch_dir("synth_cancel");
  std::vector<double> seen;
  synth_model(synth_preset("tiny"), (dir / "m.gguf").string(), [&](double p) {
    seen.push_back(p);
    return true;
  });
  ASSERT_EQ(seen.size(), 2u + 9u * 2u);
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
  const std::string cancelled = (dir / "cancelled.gguf").string();
  EXPECT_THROW(synth_model(synth_preset("tiny"), cancelled, [](double p) { return p < 0.5; }),
               SynthCancelled);
  EXPECT_FALSE(std::filesystem::exists(cancelled));
}

}  // namespace
}  // namespace dbsa
