// Hyper-parameters of every fixture model (fixtures/README.md table) and validation of hand-made files.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "model/gguf_file.h"
#include "model/gguf_writer.h"
#include "model/model_hparams.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

struct Expected {
  const char* file;
  uint32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff;
  float rope_base;
  uint32_t rope_dim;
};

// fixtures/README.md. Its table says tiny-llama3bpe-f16 has a separate output.weight, but the file holds
// none (20 tensors: embedding, 2 x 9 layer tensors, output norm), so every fixture is tied.
const Expected kFixtures[] = {
    {"tiny-spm-f32.gguf", 32000, 64, 2, 4, 2, 160, 1e4f, 16},
    {"tiny-spm-f16.gguf", 32000, 64, 2, 4, 2, 160, 1e4f, 16},
    {"tiny-spm-q8_0.gguf", 32000, 64, 2, 4, 2, 160, 1e4f, 16},
    {"tiny-gpt2bpe-f32.gguf", 50257, 64, 2, 2, 1, 128, 5e5f, 32},
    {"tiny-llama3bpe-f16.gguf", 128256, 64, 2, 4, 1, 160, 5e5f, 16},
    {"stories260K-f32.gguf", 512, 64, 5, 8, 4, 172, 1e4f, 8},
    {"k256-q4_k_m.gguf", 32000, 256, 2, 4, 2, 512, 1e4f, 64},
};

TEST(ModelHParams, FixtureModelsMatchTheReadmeTable) {
  for (const auto& e : kFixtures) {
    SCOPED_TRACE(e.file);
    const auto f = GgufFile::open(test::fixture(std::string("models/") + e.file).string());
    const ModelHParams hp = read_hparams(*f);
    EXPECT_EQ(hp.arch, "llama");
    EXPECT_EQ(hp.n_vocab, e.n_vocab);
    EXPECT_EQ(hp.n_embd, e.n_embd);
    EXPECT_EQ(hp.n_layer, e.n_layer);
    EXPECT_EQ(hp.n_head, e.n_head);
    EXPECT_EQ(hp.n_head_kv, e.n_head_kv);
    EXPECT_EQ(hp.n_ff, e.n_ff);
    EXPECT_EQ(hp.head_dim, e.n_embd / e.n_head);
    EXPECT_EQ(hp.rope_dim, e.rope_dim);
    EXPECT_FLOAT_EQ(hp.rope_freq_base, e.rope_base);
    EXPECT_FLOAT_EQ(hp.rms_norm_eps, 1e-5f);
    EXPECT_EQ(hp.rope_scaling, RopeScaling::None);
    EXPECT_FALSE(hp.rope_neox);
    EXPECT_TRUE(hp.tied_output);
    EXPECT_FALSE(hp.has_qkv_bias);
    EXPECT_FALSE(hp.has_rope_freqs);
    EXPECT_GT(hp.n_ctx_train, 0u);
  }
}

// A minimal but complete model: n_embd 8, 2 layers, 2 heads / 1 kv head, ffn 16, vocab 10.
struct Mini {
  std::string arch = "llama";
  uint32_t n_embd = 8, n_head = 2, n_head_kv = 1, n_ff = 16, n_layer = 2, n_vocab = 10;
  bool tokens = true, bias = false, output = false;
  std::set<std::string> skip;                                  // tensors to leave out
  std::string reshape;                                         // tensor written with dims {3}
  std::function<void(GgufWriter&, const std::string&)> extra;  // more keys (gets the key prefix)
};

std::unique_ptr<GgufFile> build(const Mini& m) {
  GgufWriter w;
  const std::string p = m.arch + ".";
  w.set_string("general.architecture", m.arch);
  w.set_u32(p + "context_length", 128);
  w.set_u32(p + "embedding_length", m.n_embd);
  w.set_u32(p + "block_count", m.n_layer);
  w.set_u32(p + "feed_forward_length", m.n_ff);
  w.set_u32(p + "attention.head_count", m.n_head);
  if (m.n_head_kv) w.set_u32(p + "attention.head_count_kv", m.n_head_kv);
  w.set_f32(p + "attention.layer_norm_rms_epsilon", 1e-6f);
  if (m.tokens) w.set_array_string("tokenizer.ggml.tokens", std::vector<std::string>(m.n_vocab, "t"));
  if (m.extra) m.extra(w, p);
  const uint64_t hd = m.n_embd / m.n_head;
  const uint64_t kv = hd * (m.n_head_kv ? m.n_head_kv : m.n_head);
  auto add = [&](const std::string& name, std::vector<uint64_t> dims) {
    if (m.skip.count(name)) return;
    if (name == m.reshape) dims = {3};
    uint64_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<float> zeros(n);
    w.add_tensor_f32(name, dims, zeros);
  };
  add("token_embd.weight", {m.n_embd, m.n_vocab});
  for (uint32_t i = 0; i < m.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    add(b + "attn_norm.weight", {m.n_embd});
    add(b + "attn_q.weight", {m.n_embd, m.n_embd});
    add(b + "attn_k.weight", {m.n_embd, kv});
    add(b + "attn_v.weight", {m.n_embd, kv});
    add(b + "attn_output.weight", {m.n_embd, m.n_embd});
    add(b + "ffn_norm.weight", {m.n_embd});
    add(b + "ffn_gate.weight", {m.n_embd, m.n_ff});
    add(b + "ffn_up.weight", {m.n_embd, m.n_ff});
    add(b + "ffn_down.weight", {m.n_ff, m.n_embd});
    if (m.bias) {
      add(b + "attn_q.bias", {m.n_embd});
      add(b + "attn_k.bias", {kv});
      add(b + "attn_v.bias", {kv});
    }
  }
  add("output_norm.weight", {m.n_embd});
  if (m.output) add("output.weight", {m.n_embd, m.n_vocab});
  return GgufFile::from_bytes(w.to_bytes(), "mini.gguf");
}

std::string error_of(const Mini& m) {
  const auto f = build(m);
  try {
    read_hparams(*f);
  } catch (const GgufError& e) {
    return e.what();
  }
  ADD_FAILURE() << "read_hparams accepted the file";
  return {};
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST(ModelHParams, MinimalLlama) {
  const auto hp = read_hparams(*build(Mini{}));
  EXPECT_EQ(hp.n_vocab, 10u);
  EXPECT_EQ(hp.head_dim, 4u);
  EXPECT_EQ(hp.rope_dim, 4u);
  EXPECT_FLOAT_EQ(hp.rope_freq_base, 10000.0f);
  EXPECT_FLOAT_EQ(hp.rms_norm_eps, 1e-6f);
  EXPECT_EQ(hp.n_ctx_train, 128u);
  EXPECT_TRUE(hp.tied_output);
}

TEST(ModelHParams, MistralAndQwen2) {
  Mini mistral;
  mistral.arch = "mistral";
  EXPECT_EQ(read_hparams(*build(mistral)).arch, "mistral");
  EXPECT_FALSE(read_hparams(*build(mistral)).rope_neox);

  Mini qwen;
  qwen.arch = "qwen2";
  qwen.bias = true;
  qwen.output = true;
  const auto hp = read_hparams(*build(qwen));
  EXPECT_TRUE(hp.rope_neox);
  EXPECT_TRUE(hp.has_qkv_bias);
  EXPECT_FALSE(hp.tied_output);

  qwen.skip = {"blk.1.attn_v.bias"};
  const std::string msg = error_of(qwen);
  EXPECT_HAS(msg, "mini.gguf");
  EXPECT_HAS(msg, "blk.1.attn_v.bias");
}

TEST(ModelHParams, UnknownArchitectureListsTheSupportedOnes) {
  Mini m;
  m.arch = "gpt2";
  const std::string msg = error_of(m);
  EXPECT_HAS(msg, "mini.gguf");
  EXPECT_HAS(msg, "general.architecture");
  EXPECT_HAS(msg, "llama, mistral, qwen2");
  EXPECT_HAS(msg, "'gpt2'");
}

TEST(ModelHParams, MissingOrMisshapenTensorsAreNamed) {
  for (const std::string name :
       {"token_embd.weight", "output_norm.weight", "blk.0.attn_norm.weight", "blk.1.attn_q.weight",
        "blk.1.attn_k.weight", "blk.0.attn_v.weight", "blk.0.attn_output.weight", "blk.1.ffn_norm.weight",
        "blk.0.ffn_gate.weight", "blk.1.ffn_up.weight", "blk.1.ffn_down.weight"}) {
    Mini missing;
    missing.skip = {name};
    std::string msg = error_of(missing);
    EXPECT_HAS(msg, "mini.gguf");
    EXPECT_HAS(msg, "'" + name + "'");
    Mini bad;
    bad.reshape = name;
    msg = error_of(bad);
    EXPECT_HAS(msg, "'" + name + "': expected shape [");
    EXPECT_HAS(msg, "got [3]");
  }
  Mini out;
  out.output = true;
  out.reshape = "output.weight";
  EXPECT_HAS(error_of(out), "'output.weight'");
}

TEST(ModelHParams, HeadCountsAreValidated) {
  Mini kv;
  kv.n_head = 4;
  kv.n_embd = 16;
  kv.n_head_kv = 3;
  std::string msg = error_of(kv);
  EXPECT_HAS(msg, "llama.attention.head_count_kv");
  Mini div;
  div.n_head = 3;
  div.n_head_kv = 1;
  msg = error_of(div);
  EXPECT_HAS(msg, "llama.attention.head_count");
  EXPECT_HAS(msg, "divisor of the embedding length 8");
  Mini dflt;
  dflt.n_head_kv = 0;  // key absent: as many kv heads as heads
  EXPECT_EQ(read_hparams(*build(dflt)).n_head_kv, 2u);
}

TEST(ModelHParams, MissingRequiredKeysAreNamed) {
  Mini m;
  m.extra = [](GgufWriter& w, const std::string& p) { w.set_string(p + "feed_forward_length", "big"); };
  std::string msg = error_of(m);
  EXPECT_HAS(msg, "llama.feed_forward_length");
  EXPECT_HAS(msg, "STRING");
  m.extra = [](GgufWriter& w, const std::string& p) { w.set_u32(p + "block_count", 0); };
  EXPECT_HAS(error_of(m), "llama.block_count");
}

TEST(ModelHParams, RopeScaling) {
  Mini l3;
  l3.extra = [](GgufWriter& w, const std::string& p) {
    w.set_f32(p + "rope.freq_base", 500000.0f);
    w.set_string(p + "rope.scaling.type", "llama3");
    w.set_f32(p + "rope.scaling.factor", 8.0f);
    w.set_f32(p + "rope.scaling.low_freq_factor", 1.0f);
    w.set_f32(p + "rope.scaling.high_freq_factor", 4.0f);
    w.set_u32(p + "rope.scaling.original_context_length", 8192);
  };
  auto hp = read_hparams(*build(l3));
  EXPECT_EQ(hp.rope_scaling, RopeScaling::Llama3);
  EXPECT_FLOAT_EQ(hp.rope_scale_factor, 8.0f);
  EXPECT_FLOAT_EQ(hp.rope_high_freq_factor, 4.0f);
  EXPECT_EQ(hp.rope_orig_ctx, 8192u);
  EXPECT_FLOAT_EQ(hp.rope_freq_base, 500000.0f);

  Mini lin;
  lin.extra = [](GgufWriter& w, const std::string& p) {
    w.set_string(p + "rope.scaling.type", "linear");
    w.set_f32(p + "rope.scaling.factor", 2.0f);
  };
  hp = read_hparams(*build(lin));
  EXPECT_EQ(hp.rope_scaling, RopeScaling::Linear);
  EXPECT_FLOAT_EQ(hp.rope_scale_factor, 2.0f);

  Mini yarn;
  yarn.extra = [](GgufWriter& w, const std::string& p) { w.set_string(p + "rope.scaling.type", "yarn"); };
  const std::string msg = error_of(yarn);
  EXPECT_HAS(msg, "llama.rope.scaling.type");
  EXPECT_HAS(msg, "none, linear, llama3");

  Mini zero;
  zero.extra = [](GgufWriter& w, const std::string& p) { w.set_f32(p + "rope.scaling.factor", 0.0f); };
  EXPECT_HAS(error_of(zero), "llama.rope.scaling.factor");
}

TEST(ModelHParams, VocabularySizeSources) {
  Mini no_tokens;
  no_tokens.tokens = false;
  no_tokens.n_vocab = 12;
  EXPECT_EQ(read_hparams(*build(no_tokens)).n_vocab, 12u);

  Mini mismatch;  // tokens say 10 but the embedding has 11 rows
  mismatch.extra = [](GgufWriter& w, const std::string&) {
    w.set_array_string("tokenizer.ggml.tokens", std::vector<std::string>(11, "t"));
  };
  const std::string msg = error_of(mismatch);
  EXPECT_HAS(msg, "token_embd.weight");
  EXPECT_HAS(msg, "expected shape [8, 11], got [8, 10]");

  Mini agreeing;
  agreeing.extra = [](GgufWriter& w, const std::string& p) { w.set_u32(p + "vocab_size", 10); };
  EXPECT_EQ(read_hparams(*build(agreeing)).n_vocab, 10u);

  Mini stated;  // tokens and embedding agree on 10, the vocab_size key says 11
  stated.extra = [](GgufWriter& w, const std::string& p) { w.set_u32(p + "vocab_size", 11); };
  const std::string stated_msg = error_of(stated);
  EXPECT_HAS(stated_msg, "key 'llama.vocab_size': expected 10 (the tokens of tokenizer.ggml.tokens), got 11");

  Mini stated_no_tokens;
  stated_no_tokens.tokens = false;
  stated_no_tokens.extra = [](GgufWriter& w, const std::string& p) { w.set_u32(p + "vocab_size", 9); };
  EXPECT_HAS(error_of(stated_no_tokens), "expected 10 (the rows of token_embd.weight), got 9");
}

TEST(ModelHParams, KeyLengthRopeFreqsAndExperts) {
  Mini kl;
  kl.extra = [](GgufWriter& w, const std::string& p) {
    w.set_u32(p + "attention.key_length", 4);
    w.set_u32(p + "rope.dimension_count", 2);
  };
  auto hp = read_hparams(*build(kl));
  EXPECT_EQ(hp.head_dim, 4u);
  EXPECT_EQ(hp.rope_dim, 2u);

  Mini odd_rope;
  odd_rope.extra = [](GgufWriter& w, const std::string& p) { w.set_u32(p + "rope.dimension_count", 6); };
  EXPECT_HAS(error_of(odd_rope), "llama.rope.dimension_count");

  Mini freqs;
  freqs.extra = [](GgufWriter& w, const std::string&) {
    std::vector<float> f(2, 1.0f);
    w.add_tensor_f32("rope_freqs.weight", {2}, f);
  };
  EXPECT_TRUE(read_hparams(*build(freqs)).has_rope_freqs);

  Mini moe;
  moe.extra = [](GgufWriter& w, const std::string& p) { w.set_u32(p + "expert_count", 8); };
  EXPECT_HAS(error_of(moe), "mixture-of-experts");
}

}  // namespace
}  // namespace dbsa
