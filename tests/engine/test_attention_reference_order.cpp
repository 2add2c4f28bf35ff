// The reference-order attention kernel against a scalar twin written from its header's description
// (engine/attention_reference_order.h), bit for bit; and against plain float64 attention, loosely.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "engine/attention_reference_order.h"
#include "engine/simd_kernels.h"
#include "engine/vector_exp.h"

namespace dbsa {
namespace {

struct Problem {
  int64_t d, rows, n_kv;
  std::vector<float> q, k, v;  // q: rows x d; k, v: n_kv x d (ld d)
  std::vector<int64_t> last;
  std::vector<KvRange> ranges;
  float scale;
};

Problem make_problem(int64_t d, int64_t rows, int64_t n_kv, std::vector<KvRange> ranges, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.5f);
  Problem p{d, rows, n_kv, {}, {}, {}, {}, std::move(ranges), 1.0f / std::sqrt(static_cast<float>(d))};
  for (auto* x : {&p.q, &p.k, &p.v}) {
    x->resize(static_cast<size_t>((x == &p.q ? rows : n_kv) * d));
    for (auto& e : *x) e = nd(rng);
  }
  // Rows of consecutive queries, two per query (a GQA group): the last rows own the last keys.
  for (int64_t r = 0; r < rows; ++r) p.last.push_back(n_kv - 1 - (rows - 1 - r) / 2);
  return p;
}

float exp_one(float x) {
  float y;
  simd::exp_lanes(&x, &y, 1);
  return y;
}

float halves(const float* a) {  // (a0+a4 + a2+a6) + (a1+a5 + a3+a7)
  return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}
float dot_tree(const float* b) {  // (b0+b4 + b1+b5) + (b2+b6 + b3+b7)
  return ((b[0] + b[4]) + (b[1] + b[5])) + ((b[2] + b[6]) + (b[3] + b[7]));
}

// The order the header describes, one value at a time.
std::vector<float> scalar_twin(const Problem& p, bool single_token) {
  const int64_t d = p.d, np = d / 32 * 32;
  std::vector<float> out(static_cast<size_t>(p.rows * d), 0.0f);
  for (int64_t r = 0; r < p.rows; ++r) {
    const float* q = p.q.data() + r * d;
    std::vector<int64_t> keys;
    for (const auto& rg : p.ranges)
      for (int64_t j = rg.begin; j < rg.end && j <= p.last[static_cast<size_t>(r)]; ++j) keys.push_back(j);
    if (keys.empty()) continue;
    std::vector<float> w;
    for (const int64_t j : keys) {
      const float* k = p.k.data() + j * d;
      float c[8];
      for (int t = 0; t < 8; ++t) {
        float acc[4] = {};
        for (int a = 0; a < 4; ++a)
          for (int64_t x = 8 * a + t; x < np; x += 32) acc[a] = std::fma(k[x], q[x], acc[a]);
        c[t] = (acc[0] + acc[2]) + (acc[1] + acc[3]);
      }
      float s = dot_tree(c);
      for (int64_t x = np; x < d; ++x) {
        volatile float product = k[x] * q[x];
        s = s + product;
      }
      w.push_back(s * p.scale);
    }
    float mx = -std::numeric_limits<float>::infinity();
    for (const float x : w) mx = std::max(mx, x);
    std::vector<float> e(w.size());
    for (size_t i = 0; i < w.size(); ++i) e[i] = exp_one(w[i] - mx);
    double sum = 0.0;
    for (size_t i = 0; i < keys.size();) {
      float lanes[8] = {};
      const int64_t group = keys[i] / 8;
      for (; i < keys.size() && keys[i] / 8 == group; ++i) lanes[keys[i] % 8] = e[i];
      sum += static_cast<double>(halves(lanes));
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (auto& x : e) x *= inv;
    for (int64_t x = 0; x < d; ++x) {
      float acc[32] = {};
      const int lanes = single_token ? 32 : 8;
      for (size_t i = 0; i < keys.size(); ++i) {
        float& a = acc[keys[i] % lanes];
        a = std::fma(p.v[static_cast<size_t>(keys[i] * d + x)], e[i], a);
      }
      float b[8];
      if (single_token)
        for (int t = 0; t < 8; ++t) b[t] = (acc[t] + acc[16 + t]) + (acc[8 + t] + acc[24 + t]);
      out[static_cast<size_t>(r * d + x)] = single_token ? dot_tree(b) : halves(acc);
    }
  }
  return out;
}

std::vector<float> run_kernel(const Problem& p, bool single_token) {
  std::vector<float> out(static_cast<size_t>(p.rows * p.d), -1.0f);
  std::vector<const float*> q;
  std::vector<float*> o;
  for (int64_t r = 0; r < p.rows; ++r) {
    q.push_back(p.q.data() + r * p.d);
    o.push_back(out.data() + r * p.d);
  }
  ReferenceOrderHead h;
  h.d = p.d;
  h.rows = p.rows;
  h.q = q.data();
  h.last_key = p.last.data();
  h.k = p.k.data();
  h.v = p.v.data();
  h.ldk = h.ldv = p.d;
  h.ranges = p.ranges;
  h.scale = p.scale;
  h.single_token = single_token;
  h.out = o.data();
  attention_reference_order(h);
  return out;
}

TEST(AttentionReferenceOrder, KernelGivesTheDescribedOrdersBits) {
  if (!reference_order_supported(8)) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  struct Shape {
    int64_t d, rows, n_kv;
    std::vector<KvRange> ranges;
  };
  const std::vector<Shape> shapes = {
      {16, 9, 37, {{0, 37}}},                    // head_dim below one 32-value step: all tail products
      {64, 17, 300, {{0, 300}}},                 // two whole steps, rows past a group of 8
      {72, 6, 90, {{0, 90}}},                    // steps and a tail
      {128, 2, 1, {{0, 1}}},                     // one key
      {8, 4, 50, {{0, 5}, {13, 22}, {40, 50}}},  // block-sparse ranges, groups straddling their gaps
      {64, 3, 700, {{3, 9}, {600, 700}}},        // a range starting mid-group, and a long one
      // Several groups of 16 rows (the AVX-512 score and P·V kernels block rows and keys; an odd group
      // left over), value sizes of 1 to 5 whole 16-float vectors, and one with a tail of 8 floats.
      {64, 40, 260, {{0, 260}}},
      {128, 70, 150, {{0, 40}, {56, 150}}},
      {96, 33, 81, {{0, 81}}},
      {80, 49, 64, {{0, 64}}},
      {32, 35, 45, {{0, 45}}},
      {40, 20, 30, {{0, 30}}},
  };
  for (const auto& s : shapes)
    for (const bool single : {false, true}) {
      SCOPED_TRACE("d " + std::to_string(s.d) + " rows " + std::to_string(s.rows) + " keys " +
                   std::to_string(s.n_kv) + (single ? " one-token" : ""));
      const Problem p = make_problem(s.d, s.rows, s.n_kv, s.ranges, static_cast<uint32_t>(s.d + s.n_kv));
      const auto want = scalar_twin(p, single);
      const auto got = run_kernel(p, single);
      for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "value " << i;
    }
}

// Scores hundreds apart: most weights take the exp's far branches (|n| > 126, then past 192 to 0), where
// the 8- and 16-lane forms blend differently.
TEST(AttentionReferenceOrder, FarApartScoresGiveTheDescribedOrdersBits) {
  if (!reference_order_supported(8)) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  Problem p = make_problem(64, 37, 120, {{0, 120}}, 5);
  p.scale = 20.0f;
  const auto want = scalar_twin(p, false);
  const auto got = run_kernel(p, false);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "value " << i;
}

TEST(AttentionReferenceOrder, AgreesWithFloat64Attention) {
  if (!reference_order_supported(8)) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  const Problem p = make_problem(64, 8, 200, {{0, 120}, {150, 200}}, 7);
  const auto got = run_kernel(p, false);
  for (int64_t r = 0; r < p.rows; ++r) {
    std::vector<double> w;
    std::vector<int64_t> keys;
    for (const auto& rg : p.ranges)
      for (int64_t j = rg.begin; j < rg.end && j <= p.last[static_cast<size_t>(r)]; ++j) {
        double s = 0.0;
        for (int64_t x = 0; x < p.d; ++x) s += static_cast<double>(p.q[r * p.d + x]) * p.k[j * p.d + x];
        w.push_back(s * p.scale);
        keys.push_back(j);
      }
    double mx = -1e300, sum = 0.0;
    for (const double x : w) mx = std::max(mx, x);
    for (auto& x : w) sum += (x = std::exp(x - mx));
    for (int64_t x = 0; x < p.d; ++x) {
      double o = 0.0;
      for (size_t i = 0; i < keys.size(); ++i) o += w[i] / sum * p.v[static_cast<size_t>(keys[i] * p.d + x)];
      EXPECT_NEAR(got[static_cast<size_t>(r * p.d + x)], o, 1e-5) << "row " << r << " dim " << x;
    }
  }
}

TEST(AttentionReferenceOrder, RowThatSeesNothingGetsZeros) {
  if (!reference_order_supported(8)) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  Problem p = make_problem(16, 4, 20, {{10, 20}}, 3);
  p.last = {5, 8, 12, 19};  // the first two rows end before the range starts
  const auto got = run_kernel(p, false);
  for (int64_t x = 0; x < 2 * p.d; ++x) EXPECT_EQ(got[static_cast<size_t>(x)], 0.0f);
  const auto want = scalar_twin(p, false);
  for (size_t i = static_cast<size_t>(2 * p.d); i < want.size(); ++i) EXPECT_EQ(got[i], want[i]);
}

DBSA_EXP512_TARGET void exp512_lanes(const float* x, float* y, size_t n) {
  for (size_t i = 0; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, simd::detail::exp512(_mm512_loadu_ps(x + i)));
}

// The AVX-512 softmax's exp against the 8-lane one it must equal, over the whole range the softmax meets
// (x - max <= 0, down past the underflow to 0) and beyond, with the special values.
TEST(AttentionReferenceOrder, SixteenLaneExpGivesTheEightLaneBits) {
  if (!simd::has_avx512_vnni()) GTEST_SKIP() << "no AVX-512 on this CPU";
  std::vector<float> x = {0.0f,
                          -0.0f,
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::denorm_min(),
                          -87.33655f,
                          -103.97208f,
                          88.72283f,
                          89.0f};
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> wide(-300.0f, 120.0f), near(-1.0f, 1.0f);
  for (int i = 0; i < (1 << 20); ++i) x.push_back(i % 2 ? wide(rng) : near(rng));
  x.resize((x.size() + 15) / 16 * 16, 1.0f);
  std::vector<float> want(x.size()), got(x.size());
  simd::exp_lanes(x.data(), want.data(), static_cast<int64_t>(x.size()));
  exp512_lanes(x.data(), got.data(), x.size());
  int differing = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::memcmp(&want[i], &got[i], sizeof(float)) != 0 && ++differing <= 5)
      ADD_FAILURE() << "exp(" << x[i] << "): " << got[i] << " against " << want[i];
  EXPECT_EQ(differing, 0);
}

TEST(AttentionReferenceOrder, RefusesHeadsItCannotRun) {
  ReferenceOrderHead h;
  h.d = 12;
  EXPECT_FALSE(reference_order_supported(12));
  EXPECT_THROW(attention_reference_order(h), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa
