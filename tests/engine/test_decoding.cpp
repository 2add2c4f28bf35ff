#include <gtest/gtest.h>

#include <map>

#include "engine/constrained_decoding.h"
#include "engine/cpu_backend.h"
#include "engine/generation.h"
#include "engine/llama_model.h"
#include "engine/sampling.h"
#include "synthetic_model.h"

namespace dbsa {
namespace {

TEST(Sampling, ArgmaxTakesFirstMaximumAndSkipsNaN) {
  const std::vector<float> l = {1.0f, 3.0f, std::nanf(""), 3.0f, -2.0f};
  EXPECT_EQ(argmax(l), 1);
  const std::vector<float> nan = {std::nanf("")};
  EXPECT_THROW(argmax(nan), std::invalid_argument);
}

TEST(Sampling, SeededAndTruncatedDistributions) {
  std::vector<float> l = {0.0f, 1.0f, 2.0f, 0.5f, 1.5f};
  SamplerConfig c;
  c.temperature = 1.0f;
  c.seed = 99;
  Sampler a(c), b(c);
  std::map<int32_t, int> counts;
  for (int i = 0; i < 4000; ++i) {
    const int32_t x = a.sample(l);
    EXPECT_EQ(x, b.sample(l));  // same seed, same sequence
    counts[x]++;
  }
  // Softmax probabilities: p(2) = e^2 / sum ≈ 0.429, p(0) ≈ 0.058.
  EXPECT_NEAR(counts[2] / 4000.0, 0.4287, 0.03);
  EXPECT_NEAR(counts[0] / 4000.0, 0.0580, 0.015);
  c.top_k = 2;
  Sampler k2(c);
  for (int i = 0; i < 200; ++i) {
    const int32_t x = k2.sample(l);
    EXPECT_TRUE(x == 2 || x == 4);
  }
  c.top_k = 0;
  c.top_p = 0.3f;  // the top token alone holds more than 30%
  Sampler p(c);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p.sample(l), 2);
  SamplerConfig greedy;
  EXPECT_EQ(Sampler(greedy).sample(l), 2);
}

TEST(TokenTrie, RejectsAmbiguousLabels) {
  TokenTrie t;
  const std::vector<int32_t> a = {5, 6}, b = {5, 7}, prefix = {5}, longer = {5, 6, 1};
  t.insert(a, 0);
  t.insert(b, 1);
  EXPECT_THROW(t.insert(prefix, 2), std::invalid_argument);
  EXPECT_THROW(t.insert(longer, 3), std::invalid_argument);
  EXPECT_THROW(t.insert(a, 4), std::invalid_argument);
  EXPECT_EQ(t.max_depth(), 2);
}

TEST(ConstrainedDecoding, PicksBestAllowedPathAndFollowsTheModel) {
  LlamaModel m(test::synth_weights({}), std::make_shared<CpuBackend>(1));
  const std::vector<int32_t> prompt = {3, 14, 15, 92, 65};
  KvCache cache = m.make_cache(16);
  ForwardRequest r;
  r.tokens = prompt;
  const auto first = m.forward(cache, r).logits;
  // Two labels diverging at the second token: the choice there must follow the model's logits.
  const int32_t t0 = 10;
  TokenTrie trie;
  const std::vector<int32_t> la = {t0, 20, 30}, lb = {t0, 21}, lc = {40};
  trie.insert(la, 0);
  trie.insert(lb, 1);
  trie.insert(lc, 2);
  const auto res = constrained_greedy(m, cache, trie, first);
  ASSERT_GE(res.tokens.size(), 1u);
  const int32_t want_first = first[t0] > first[40] ? t0 : 40;
  EXPECT_EQ(res.tokens[0], want_first);
  if (want_first == 40) {
    EXPECT_EQ(res.label, 2);
  } else {
    KvCache c2 = m.make_cache(16);
    std::vector<int32_t> ext = prompt;
    ext.push_back(t0);
    ForwardRequest r2;
    r2.tokens = ext;
    const auto second = m.forward(c2, r2).logits;
    EXPECT_EQ(res.label, second[20] > second[21] ? 0 : 1);
  }
}

TEST(Generation, GreedyMatchesArgmaxOfRepeatedFullPasses) {
  LlamaModel m(test::synth_weights({}), std::make_shared<CpuBackend>(2));
  const std::vector<int32_t> prompt = {1, 2, 3, 4};
  KvCache cache = m.make_cache(4);
  GenerateOptions o;
  o.max_tokens = 6;
  const auto g = generate(m, cache, prompt, o);
  ASSERT_EQ(g.tokens.size(), 6u);
  std::vector<int32_t> seq = prompt;
  for (size_t i = 0; i < 6; ++i) {
    KvCache fresh = m.make_cache(16);
    ForwardRequest r;
    r.tokens = seq;
    const auto l = m.forward(fresh, r).logits;
    EXPECT_EQ(g.tokens[i], argmax(l)) << "step " << i;
    seq.push_back(g.tokens[i]);
  }
}

}  // namespace
}  // namespace dbsa
