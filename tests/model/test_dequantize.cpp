// Every dequantizable type against blocks built here from chosen integers and scales. The encoders
// below place each element by its index (which byte, which bits) as the ggml block structs document
// it; the expected floats come from the format's formula, not from the library.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "half_ref.h"
#include "model/dequantize.h"
#include "model/gguf_file.h"

namespace dbsa {
namespace {

using test::ref_half;

struct Case {
  std::vector<uint8_t> bytes;
  std::vector<float> expected;
};

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  int uni(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  // A positive normal half of moderate size and its value.
  uint16_t half(float& value) {
    const auto h = static_cast<uint16_t>(uni(0x1000, 0x2fff));
    value = static_cast<float>(ref_half(h));
    return h;
  }

 private:
  std::mt19937 rng_;
};

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v & 0xff);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

void check(GgmlType type, const Case& c) {
  std::vector<float> out(c.expected.size(), -12345.0f);
  dequantize(type, c.bytes.data(), out.data(), static_cast<int64_t>(out.size()));
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], c.expected[i]) << "element " << i;
}

// The 32-value nibble layout (Q4_0, Q4_1, the low bits of Q5_0/Q5_1, IQ4_NL, each IQ4_XS sub-block):
// element e's 4-bit q sits in byte e % 16, low nibble for e < 16.
void put_nibble(uint8_t* qs, int e, int q) {
  qs[e % 16] |= static_cast<uint8_t>(e < 16 ? q : q << 4);
}

// Q4_0 (with_min=false) and Q4_1.
Case make_q4(bool with_min, int nb, Gen& g) {
  const size_t bs = with_min ? 20 : 18;
  Case c{std::vector<uint8_t>(bs * nb), {}};
  for (int b = 0; b < nb; ++b) {
    uint8_t* blk = c.bytes.data() + bs * b;
    float d, m = 0.0f;
    put16(c.bytes, bs * b, g.half(d));
    if (with_min) {  // a negative min, as real Q4_1 blocks have for signed weights
      put16(c.bytes, bs * b + 2, static_cast<uint16_t>(g.half(m) | 0x8000));
      m = -m;
    }
    uint8_t* qs = blk + (with_min ? 4 : 2);
    for (int e = 0; e < 32; ++e) {
      const int q = g.uni(0, 15);
      put_nibble(qs, e, q);
      c.expected.push_back(with_min ? static_cast<float>(q) * d + m : static_cast<float>(q - 8) * d);
    }
  }
  return c;
}

// Q5_0 / Q5_1: as Q4 plus bit 4 of element e in bit e of the little-endian u32 qh.
Case make_q5(bool with_min, int nb, Gen& g) {
  const size_t bs = with_min ? 24 : 22;
  Case c{std::vector<uint8_t>(bs * nb), {}};
  for (int b = 0; b < nb; ++b) {
    uint8_t* blk = c.bytes.data() + bs * b;
    float d, m = 0.0f;
    put16(c.bytes, bs * b, g.half(d));
    if (with_min) put16(c.bytes, bs * b + 2, g.half(m));
    uint8_t* qh = blk + (with_min ? 4 : 2);
    uint8_t* qs = qh + 4;
    for (int e = 0; e < 32; ++e) {
      const int q = g.uni(0, 31);
      put_nibble(qs, e, q & 15);
      if (q & 16) qh[e / 8] |= static_cast<uint8_t>(1 << (e % 8));
      c.expected.push_back(with_min ? static_cast<float>(q) * d + m : static_cast<float>(q - 16) * d);
    }
  }
  return c;
}

// Q8_0 (header 2: d) and Q8_1 (header 4: d, s).
Case make_q8(int header, int nb, Gen& g) {
  const size_t bs = header + 32;
  Case c{std::vector<uint8_t>(bs * nb), {}};
  for (int b = 0; b < nb; ++b) {
    float d, s;
    put16(c.bytes, bs * b, g.half(d));
    if (header == 4) put16(c.bytes, bs * b + 2, g.half(s));
    for (int e = 0; e < 32; ++e) {
      const int q = g.uni(-128, 127);
      c.bytes[bs * b + header + e] = static_cast<uint8_t>(static_cast<int8_t>(q));
      c.expected.push_back(static_cast<float>(q) * d);
    }
  }
  return c;
}

// Two-bit field of element e in the Q2_K / Q3_K quant bytes: byte 32*(e/128) + e%32, bits 2*((e%128)/32).
void put_2bit(uint8_t* qs, int e, int v) {
  qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>(v << (2 * ((e % 128) / 32)));
}

Case make_q2_k(int nb, Gen& g) {
  Case c{std::vector<uint8_t>(84 * nb), {}};
  for (int b = 0; b < nb; ++b) {
    uint8_t* blk = c.bytes.data() + 84 * b;
    float d, dmin;
    put16(c.bytes, 84 * b + 80, g.half(d));
    put16(c.bytes, 84 * b + 82, g.half(dmin));
    int sc[16], mn[16];
    for (int j = 0; j < 16; ++j) {
      sc[j] = g.uni(0, 15);
      mn[j] = g.uni(0, 15);
      blk[j] = static_cast<uint8_t>(sc[j] | mn[j] << 4);
    }
    for (int e = 0; e < 256; ++e) {
      const int q = g.uni(0, 3);
      put_2bit(blk + 16, e, q);
      c.expected.push_back(d * static_cast<float>(sc[e / 16]) * static_cast<float>(q) -
                           dmin * static_cast<float>(mn[e / 16]));
    }
  }
  return c;
}

Case make_q3_k(int nb, Gen& g) {
  Case c{std::vector<uint8_t>(110 * nb), {}};
  for (int b = 0; b < nb; ++b) {
    uint8_t* blk = c.bytes.data() + 110 * b;
    float d;
    put16(c.bytes, 110 * b + 108, g.half(d));
    int sc[16];
    uint8_t* s = blk + 96;
    for (int j = 0; j < 16; ++j) {
      sc[j] = g.uni(0, 63);  // stored with an offset of 32
      s[j < 8 ? j : j - 8] |= static_cast<uint8_t>(j < 8 ? (sc[j] & 15) : (sc[j] & 15) << 4);
      s[8 + j % 4] |= static_cast<uint8_t>((sc[j] >> 4) << (2 * (j / 4)));
    }
    for (int e = 0; e < 256; ++e) {
      const int q = g.uni(0, 7);  // value q - 4; the high bit is set in hmask
      put_2bit(blk + 32, e, q & 3);
      if (q & 4) blk[e % 32] |= static_cast<uint8_t>(1 << (e / 32));
      c.expected.push_back(d * static_cast<float>(sc[e / 16] - 32) * static_cast<float>(q - 4));
    }
  }
  return c;
}

// The 12 scale bytes of Q4_K/Q5_K: sub-blocks 0..3 keep scale/min in the low 6 bits of bytes 0..3 /
// 4..7; sub-blocks 4..7 keep their low 4 bits in the nibbles of bytes 8..11 and their top 2 bits in the
// top bits of bytes 0..3 (scale) and 4..7 (min).
void pack_k4_scales(uint8_t* s, const int* sc, const int* mn) {
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
    s[j + 4] = static_cast<uint8_t>(mn[j] | (mn[j + 4] >> 4) << 6);
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
  }
}

// Q4_K (five_bit=false) and Q5_K: element e uses sub-block e/32; its low 4 bits are in byte
// 32*(e/64) + e%32 of qs (low nibble for the first 32 of each 64); Q5_K's fifth bit is bit e/32 of qh[e%32].
Case make_qk(bool five_bit, int nb, Gen& g) {
  const size_t bs = five_bit ? 176 : 144;
  Case c{std::vector<uint8_t>(bs * nb), {}};
  for (int b = 0; b < nb; ++b) {
    uint8_t* blk = c.bytes.data() + bs * b;
    float d, dmin;
    put16(c.bytes, bs * b, g.half(d));
    put16(c.bytes, bs * b + 2, g.half(dmin));
    int sc[8], mn[8];
    for (int j = 0; j < 8; ++j) sc[j] = g.uni(0, 63), mn[j] = g.uni(0, 63);
    pack_k4_scales(blk + 4, sc, mn);
    uint8_t* qh = blk + 16;
    uint8_t* qs = blk + (five_bit ? 48 : 16);
    for (int e = 0; e < 256; ++e) {
      const int q = g.uni(0, five_bit ? 31 : 15);
      const int low = q & 15;
      qs[32 * (e / 64) + e % 32] |= static_cast<uint8_t>((e % 64) < 32 ? low : low << 4);
      if (q & 16) qh[e % 32] |= static_cast<uint8_t>(1 << (e / 32));
      c.expected.push_back(d * static_cast<float>(sc[e / 32]) * static_cast<float>(q) -
                           dmin * static_cast<float>(mn[e / 32]));
    }
  }
  return c;
}

// Q6_K: element e = 128*c + 32*k + l (k = 0..3); low 4 bits in ql[64*c + l + 32*(k%2)] (low nibble for
// k < 2), high 2 bits in qh[32*c + l] at bits 2k; scale int8 sc[e/16]; value d * sc * (q - 32).
Case make_q6_k(int nb, Gen& g) {
  Case c{std::vector<uint8_t>(210 * nb), {}};
  for (int b = 0; b < nb; ++b) {
    uint8_t* blk = c.bytes.data() + 210 * b;
    float d;
    put16(c.bytes, 210 * b + 208, g.half(d));
    int sc[16];
    for (int j = 0; j < 16; ++j) {
      sc[j] = g.uni(-128, 127);
      blk[192 + j] = static_cast<uint8_t>(static_cast<int8_t>(sc[j]));
    }
    for (int e = 0; e < 256; ++e) {
      const int q = g.uni(0, 63);
      const int ch = e / 128, k = (e % 128) / 32, l = e % 32;
      blk[64 * ch + l + 32 * (k % 2)] |= static_cast<uint8_t>(k < 2 ? (q & 15) : (q & 15) << 4);
      blk[128 + 32 * ch + l] |= static_cast<uint8_t>((q >> 4) << (2 * k));
      c.expected.push_back(d * static_cast<float>(sc[e / 16]) * static_cast<float>(q - 32));
    }
  }
  return c;
}

Case make_q8_k(int nb, Gen& g) {
  Case c{std::vector<uint8_t>(292 * nb), {}};
  for (int b = 0; b < nb; ++b) {
    const float d = static_cast<float>(g.uni(1, 1 << 20)) * 1e-7f;
    std::memcpy(c.bytes.data() + 292 * b, &d, 4);
    for (int e = 0; e < 256; ++e) {
      const int q = g.uni(-128, 127);
      c.bytes[292 * b + 4 + e] = static_cast<uint8_t>(static_cast<int8_t>(q));
      c.expected.push_back(d * static_cast<float>(q));
    }
  }
  return c;
}

// The IQ4 formats' grid, from the format's definition: a 4-bit index q stands for kGrid[q].
constexpr int kGrid[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// IQ4_NL: f16 d, then the 32 indices as put_nibble lays them out; value d·kGrid[q].
Case make_iq4_nl(int nb, Gen& g) {
  Case c{std::vector<uint8_t>(18 * nb), {}};
  for (int b = 0; b < nb; ++b) {
    float d;
    put16(c.bytes, 18 * b, g.half(d));
    for (int e = 0; e < 32; ++e) {
      const int q = g.uni(0, 15);
      put_nibble(c.bytes.data() + 18 * b + 2, e, q);
      c.expected.push_back(d * static_cast<float>(kGrid[q]));
    }
  }
  return c;
}

// IQ4_XS: f16 d, u16 scales_h (bits 2s, 2s+1: the high bits of sub-block s's 6-bit scale), scales_l[4]
// (nibble s, low first: its low bits), then per 32-value sub-block 16 bytes as IQ4_NL's (put_nibble); value
// (d·(scale - 32))·kGrid[q].
Case make_iq4_xs(int nb, Gen& g) {
  Case c{std::vector<uint8_t>(136 * nb), {}};
  for (int b = 0; b < nb; ++b) {
    uint8_t* blk = c.bytes.data() + 136 * b;
    float d;
    put16(c.bytes, 136 * b, g.half(d));
    uint16_t scales_h = 0;
    for (int s = 0; s < 8; ++s) {
      const int scale = g.uni(0, 63);
      blk[4 + s / 2] |= static_cast<uint8_t>((scale & 15) << (4 * (s % 2)));
      scales_h = static_cast<uint16_t>(scales_h | (scale >> 4) << (2 * s));
      const float dl = d * static_cast<float>(scale - 32);
      for (int e = 0; e < 32; ++e) {
        const int q = g.uni(0, 15);
        put_nibble(blk + 8 + 16 * s, e, q);
        c.expected.push_back(dl * static_cast<float>(kGrid[q]));
      }
    }
    put16(c.bytes, 136 * b + 2, scales_h);
  }
  return c;
}

TEST(Dequantize, IQ4_NL) {
  Gen g(21);
  check(GgmlType::IQ4_NL, make_iq4_nl(5, g));
}
TEST(Dequantize, IQ4_XS) {
  Gen g(22);
  check(GgmlType::IQ4_XS, make_iq4_xs(3, g));
}

TEST(Dequantize, Q4_0) {
  Gen g(1);
  check(GgmlType::Q4_0, make_q4(false, 5, g));
}
TEST(Dequantize, Q4_1) {
  Gen g(2);
  check(GgmlType::Q4_1, make_q4(true, 5, g));
}
TEST(Dequantize, Q5_0) {
  Gen g(3);
  check(GgmlType::Q5_0, make_q5(false, 5, g));
}
TEST(Dequantize, Q5_1) {
  Gen g(4);
  check(GgmlType::Q5_1, make_q5(true, 5, g));
}
TEST(Dequantize, Q8_0) {
  Gen g(5);
  check(GgmlType::Q8_0, make_q8(2, 5, g));
}
TEST(Dequantize, Q8_1) {
  Gen g(6);
  check(GgmlType::Q8_1, make_q8(4, 5, g));
}
TEST(Dequantize, Q2_K) {
  Gen g(7);
  check(GgmlType::Q2_K, make_q2_k(3, g));
}
TEST(Dequantize, Q3_K) {
  Gen g(8);
  check(GgmlType::Q3_K, make_q3_k(3, g));
}
TEST(Dequantize, Q4_K) {
  Gen g(9);
  check(GgmlType::Q4_K, make_qk(false, 3, g));
}
TEST(Dequantize, Q5_K) {
  Gen g(10);
  check(GgmlType::Q5_K, make_qk(true, 3, g));
}
TEST(Dequantize, Q6_K) {
  Gen g(11);
  check(GgmlType::Q6_K, make_q6_k(3, g));
}
TEST(Dequantize, Q8_K) {
  Gen g(12);
  check(GgmlType::Q8_K, make_q8_k(3, g));
}

TEST(Dequantize, Q4_KHandBuiltBlock) {
  // One block written out by hand: d = 0.5 (0x3800), dmin = 0.25 (0x3400); sub-block 0 has scale 3,
  // min 2; sub-block 5 has scale 33 (0b100001), min 17 (0b010001); every nibble is 7 (low) / 9 (high).
  Case c{std::vector<uint8_t>(144), {}};
  put16(c.bytes, 0, 0x3800);
  put16(c.bytes, 2, 0x3400);
  uint8_t* s = c.bytes.data() + 4;
  s[0] = 3;               // scale 0
  s[4] = 2;               // min 0
  s[1] = 0b10 << 6;       // top bits of scale 5 (33 >> 4 = 2)
  s[5] = 0b01 << 6;       // top bits of min 5 (17 >> 4 = 1)
  s[9] = 0x1 | 0x1 << 4;  // low nibbles of scale 5 (1) and min 5 (1)
  for (int i = 0; i < 128; ++i) c.bytes[16 + i] = 0x97;
  for (int e = 0; e < 256; ++e) {
    const int sb = e / 32;
    const float q = (e % 64) < 32 ? 7.0f : 9.0f;
    const float scale = sb == 0 ? 3.0f : sb == 5 ? 33.0f : 0.0f;
    const float min = sb == 0 ? 2.0f : sb == 5 ? 17.0f : 0.0f;
    c.expected.push_back(0.5f * scale * q - 0.25f * min);
  }
  EXPECT_EQ(c.expected[0], 10.0f);      // 0.5 * 3 * 7 - 0.25 * 2
  EXPECT_EQ(c.expected[160], 144.25f);  // sub-block 5: high nibbles of qs[64..95]
  check(GgmlType::Q4_K, c);
}

TEST(Dequantize, PlainTypes) {
  Gen g(13);
  std::vector<uint16_t> h(64), bf(64);
  std::vector<float> f32(64), exp_h(64), exp_bf(64);
  for (int i = 0; i < 64; ++i) {
    h[i] = static_cast<uint16_t>(g.uni(0, 0xffff));
    exp_h[i] = static_cast<float>(ref_half(h[i]));
    bf[i] = static_cast<uint16_t>(g.uni(0, 0x7f7f));
    uint32_t bits = uint32_t{bf[i]} << 16;
    std::memcpy(&exp_bf[i], &bits, 4);
    f32[i] = static_cast<float>(g.uni(-1000, 1000)) / 7.0f;
  }
  std::vector<float> out(64);
  dequantize(GgmlType::F16, h.data(), out.data(), 64);
  for (int i = 0; i < 64; ++i) {
    if (std::isnan(exp_h[i])) {
      EXPECT_TRUE(std::isnan(out[i]));
    } else {
      EXPECT_EQ(out[i], exp_h[i]) << i;
    }
  }
  dequantize(GgmlType::BF16, bf.data(), out.data(), 64);
  EXPECT_EQ(out, exp_bf);
  dequantize(GgmlType::F32, f32.data(), out.data(), 64);
  EXPECT_EQ(out, f32);
}

TEST(Dequantize, RejectsBadCountsAndTypes) {
  std::vector<uint8_t> buf(1024);
  std::vector<float> out(1024);
  EXPECT_THROW(dequantize(GgmlType::Q8_0, buf.data(), out.data(), 33), std::invalid_argument);
  EXPECT_THROW(dequantize(GgmlType::Q4_K, buf.data(), out.data(), 128), std::invalid_argument);
  EXPECT_THROW(dequantize(GgmlType::I32, buf.data(), out.data(), 4), std::invalid_argument);
  EXPECT_THROW(dequantize(static_cast<GgmlType>(99), buf.data(), out.data(), 4), std::invalid_argument);

  GgufTensorInfo t;
  t.name = "blk.3.idx";
  t.type = GgmlType::I32;
  t.dims = {4};
  t.n_elements = 4;
  t.n_bytes = 16;
  t.data = reinterpret_cast<const std::byte*>(buf.data());
  try {
    dequantize_tensor(t);
    FAIL() << "no exception";
  } catch (const GgufError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("blk.3.idx"), std::string::npos) << msg;
    EXPECT_NE(msg.find("I32"), std::string::npos) << msg;
  }
}

TEST(GgmlType, TableMatchesTheBlockStructs) {
  struct Row {
    uint32_t id;
    const char* name;
    uint32_t elems, bytes;
  };
  // Sizes: ggml-common.h block structs (e.g. Q6_K = ql[128] + qh[64] + scales[16] + f16 d = 210).
  const Row rows[] = {
      {0, "F32", 1, 4},       {1, "F16", 1, 2},        {2, "Q4_0", 32, 18},    {3, "Q4_1", 32, 20},
      {6, "Q5_0", 32, 22},    {7, "Q5_1", 32, 24},     {8, "Q8_0", 32, 34},    {9, "Q8_1", 32, 36},
      {10, "Q2_K", 256, 84},  {11, "Q3_K", 256, 110},  {12, "Q4_K", 256, 144}, {13, "Q5_K", 256, 176},
      {14, "Q6_K", 256, 210}, {15, "Q8_K", 256, 292},  {24, "I8", 1, 1},       {25, "I16", 1, 2},
      {26, "I32", 1, 4},      {27, "I64", 1, 8},       {28, "F64", 1, 8},      {30, "BF16", 1, 2},
      {20, "IQ4_NL", 32, 18}, {23, "IQ4_XS", 256, 136}};
  for (const auto& r : rows) {
    const auto info = ggml_type_info(r.id);
    ASSERT_TRUE(info.has_value()) << r.name;
    EXPECT_EQ(info->name, r.name);
    EXPECT_EQ(info->block_elems, r.elems) << r.name;
    EXPECT_EQ(info->block_bytes, r.bytes) << r.name;
    EXPECT_EQ(ggml_type_name(static_cast<GgmlType>(r.id)), r.name);
  }
  for (uint32_t bad : {4u, 5u, 16u, 21u, 22u, 29u, 31u, 1000u})
    EXPECT_FALSE(ggml_type_info(bad).has_value()) << bad;
  EXPECT_EQ(ggml_row_size(GgmlType::Q4_K, 512), 288u);
  EXPECT_THROW(ggml_row_size(GgmlType::Q4_K, 100), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa
