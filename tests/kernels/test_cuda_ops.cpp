// Each element-wise/row-wise CUDA kernel and the cuBLAS projections against their CPU twins in
// core/engine, on random inputs. Tolerances are relative to the largest reference value (see
// near_relative) and each states why it is not zero.
#include <gtest/gtest.h>

#include <cstring>

#include "activation_convert.cuh"
#include "cuda_test_support.h"
#include "device_buffer.h"
#include "embedding.cuh"
#include "engine/ops.h"
#include "engine/rope.h"
#include "model/dequantize.h"
#include "residual_add.cuh"

namespace dbsa::test {
namespace {

// Float sums in a different order (cuBLAS tiles vs OpenBLAS panels / SIMD dots): a few ulps per term.
constexpr float kGemmTol = 1e-5f;
// Only the order of a double sum differs; the float steps after it are the same.
constexpr float kRmsNormTol = 1e-6f;
// expf (CUDA, <= 2 ulp) against the CPU's vectorised exp polynomial.
constexpr float kSwigluTol = 1e-5f;
// The same cos/sin values; nvcc contracts x0*c - x1*s into an FMA, the CPU rounds the product.
constexpr float kRopeTol = 1e-6f;
// 16-bit activations on the GPU against F32 activations on the CPU: one rounding of 2^-11 (F16) or
// 2^-8 (BF16) relative per input, averaging out over the dot product.
constexpr float kUnroundedF16Tol = 4e-3f;
constexpr float kUnroundedBF16Tol = 2e-2f;

template <class T>
std::vector<T> to_host(const cuda::DeviceBuffer<T>& d, size_t n) {
  std::vector<T> h(n);
  DBSA_CUDA_CHECK(cudaMemcpy(h.data(), d.data(), n * sizeof(T), cudaMemcpyDeviceToHost));
  return h;
}

template <class T>
cuda::DeviceBuffer<T> to_device(const std::vector<T>& h) {
  cuda::DeviceBuffer<T> d(std::max<size_t>(1, h.size()));
  DBSA_CUDA_CHECK(cudaMemcpy(d.data(), h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

class CudaOps : public CudaTwinTest {
 protected:
  void check_matmul(WeightType type, ActivationRounding rounding, int64_t n, int64_t rows, int64_t cols,
                    float tol) {
    SCOPED_TRACE(::testing::Message()
                 << "type " << static_cast<int>(type) << " rounding " << static_cast<int>(rounding) << " n "
                 << n << " " << rows << "x" << cols);
    const auto values = randn(static_cast<size_t>(rows * cols), 0.2f);
    WeightMatrix w = type == WeightType::F32 ? make_f32_matrix("w", rows, cols, values)
                                             : make_16bit_matrix("w", type, rows, cols, values);
    w.act_rounding = rounding;
    const auto x = randn(static_cast<size_t>(n * cols));
    std::vector<float> want(static_cast<size_t>(n * rows)), got(want.size(), 99.0f);
    cpu.matmul(x.data(), n, w, want.data());
    gpu->matmul(x.data(), n, w, got.data());
    EXPECT_TRUE(near_relative(got, want, tol));
  }
};

TEST_F(CudaOps, MatmulF32MatchesCpu) {
  for (int64_t n : {1, 3, 5, 17, 130})
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{67, 45}, {160, 64}, {64, 160}, {1000, 96}})
      check_matmul(WeightType::F32, ActivationRounding::None, n, rows, cols, kGemmTol);
}

TEST_F(CudaOps, Matmul16BitWithReferenceRoundingMatchesCpu) {
  // With the engine's reference rounding both sides multiply the same 16-bit activations and weights.
  for (int64_t n : {1, 4, 33, 200}) {
    check_matmul(WeightType::F16, ActivationRounding::F16, n, 160, 64, kGemmTol);
    check_matmul(WeightType::BF16, ActivationRounding::BF16, n, 96, 256, kGemmTol);
  }
}

TEST_F(CudaOps, Matmul16BitWithoutRoundingStaysWithinActivationRounding) {
  check_matmul(WeightType::F16, ActivationRounding::None, 9, 128, 256, kUnroundedF16Tol);
  check_matmul(WeightType::BF16, ActivationRounding::None, 9, 128, 256, kUnroundedBF16Tol);
}

TEST_F(CudaOps, MatmulQuantizedActivationRoundingIsAppliedLikeTheCpu) {
  check_matmul(WeightType::F32, ActivationRounding::Q8_0, 6, 64, 128, kGemmTol);
  check_matmul(WeightType::F16, ActivationRounding::Q8_K, 6, 64, 256, 2e-3f);  // + F16 rounding of Q8 values
}

TEST_F(CudaOps, RmsNormMatchesCpu) {
  for (auto [rows, dim] : {std::pair<int64_t, int64_t>{1, 64}, {7, 4096}, {300, 160}, {3, 1}}) {
    const auto x = randn(static_cast<size_t>(rows * dim), 3.0f);
    const auto w = randn(static_cast<size_t>(dim));
    std::vector<float> want(x.size()), got(x.size());
    cpu.rms_norm(x.data(), w.data(), want.data(), rows, dim, 1e-5f);
    gpu->rms_norm(x.data(), w.data(), got.data(), rows, dim, 1e-5f);
    EXPECT_TRUE(near_relative(got, want, kRmsNormTol)) << rows << "x" << dim;
  }
}

TEST_F(CudaOps, SwigluMatchesCpu) {
  for (int64_t n : {1, 31, 100000}) {
    const auto g = randn(static_cast<size_t>(n), 4.0f), u = randn(static_cast<size_t>(n));
    std::vector<float> want(g.size()), got(g.size());
    cpu.swiglu(g.data(), u.data(), want.data(), n);
    gpu->swiglu(g.data(), u.data(), got.data(), n);
    EXPECT_TRUE(near_relative(got, want, kSwigluTol)) << n;
  }
}

TEST_F(CudaOps, RopeLayoutsAndScalingsMatchCpu) {
  struct Case {
    int32_t head_dim, n_rot;
    bool neox;
    float freq_scale;
    bool llama3;
  };
  for (const Case& c :
       {Case{64, 64, false, 1.0f, false}, Case{64, 64, true, 1.0f, false}, Case{128, 64, false, 0.25f, false},
        Case{128, 128, false, 1.0f, true}, Case{16, 8, true, 1.0f, true}}) {
    RopeParams p;
    p.head_dim = c.head_dim;
    p.n_rot = c.n_rot;
    p.neox = c.neox;
    p.freq_scale = c.freq_scale;
    p.freq_base = 500000.0f;
    if (c.llama3) {
      ModelHParams hp;
      hp.rope_freq_base = p.freq_base;
      hp.rope_scale_factor = 8.0f;
      hp.rope_low_freq_factor = 1.0f;
      hp.rope_high_freq_factor = 4.0f;
      hp.rope_orig_ctx = 8192;
      p.freq_factors = llama3_freq_factors(hp, p.n_rot);
    }
    std::vector<int32_t> pos(40);
    for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int32_t>(7 * i + 3 + (i > 20 ? 60000 : 0));
    const RopeTable table(p, pos);
    const int32_t n_heads = 3;
    const int64_t first = 5, n_tokens = 30;
    auto want = randn(static_cast<size_t>(n_tokens * n_heads * p.head_dim));
    auto got = want;
    cpu.rope(p, table, first, want.data(), n_tokens, n_heads);
    gpu->rope(p, table, first, got.data(), n_tokens, n_heads);
    EXPECT_TRUE(near_relative(got, want, kRopeTol)) << "head_dim " << c.head_dim << " n_rot " << c.n_rot;
  }
}

TEST_F(CudaOps, EmbeddingGatherMatchesCpuExactly) {
  const std::vector<int32_t> ids = {0, 5, 5, 99, 42, 1};
  for (WeightType type : {WeightType::F32, WeightType::F16, WeightType::BF16}) {
    const auto values = randn(100 * 24);
    const WeightMatrix table = type == WeightType::F32 ? make_f32_matrix("emb", 100, 24, values)
                                                       : make_16bit_matrix("emb", type, 100, 24, values);
    std::vector<float> want(ids.size() * 24);
    embedding_lookup(table, ids, want.data());
    const size_t bytes = static_cast<size_t>(table.bytes());
    cuda::DeviceBuffer<std::byte> d_table(bytes);
    DBSA_CUDA_CHECK(cudaMemcpy(d_table.data(), table.data, bytes, cudaMemcpyHostToDevice));
    auto d_ids = to_device(ids);
    cuda::DeviceBuffer<float> d_out(want.size());
    const auto elem = type == WeightType::F32   ? cuda::Elem::F32
                      : type == WeightType::F16 ? cuda::Elem::F16
                                                : cuda::Elem::BF16;
    cuda::embedding_gather(d_table.data(), elem, 24, d_ids.data(), static_cast<int64_t>(ids.size()),
                           d_out.data(), nullptr);
    EXPECT_EQ(to_host(d_out, want.size()), want);  // widening is exact
  }
}

TEST_F(CudaOps, ResidualAndBiasAdditionsMatchCpuExactly) {
  const int64_t rows = 13, cols = 77;
  const auto y0 = randn(static_cast<size_t>(rows * cols)), x = randn(y0.size()), bias = randn(cols);
  auto want = y0;
  add_inplace(want.data(), x.data(), rows * cols);
  add_bias_rows(want.data(), bias.data(), rows, cols);
  auto d_y = to_device(y0);
  auto d_x = to_device(x);
  auto d_b = to_device(bias);
  cuda::add_inplace(d_y.data(), d_x.data(), rows * cols, nullptr);
  cuda::add_bias_rows(d_y.data(), d_b.data(), rows, cols, nullptr);
  EXPECT_EQ(to_host(d_y, want.size()), want);  // one float addition each: no freedom in rounding
}

TEST_F(CudaOps, ActivationRoundingToF16AndBF16IsBitExact) {
  auto x = randn(5000, 30.0f);
  x.insert(x.end(), {0.0f, -0.0f, 65504.0f, 1e-6f, -3.0e-8f, 1.0f + 1.0f / 2048.0f});  // ties, subnormals
  for (auto [elem, narrow] :
       {std::pair{cuda::Elem::F16, &f32_to_f16}, std::pair{cuda::Elem::BF16, &f32_to_bf16}}) {
    auto d_x = to_device(x);
    cuda::DeviceBuffer<uint16_t> d_h(x.size());
    cuda::convert_activations(d_x.data(), d_h.data(), elem, static_cast<int64_t>(x.size()), nullptr);
    const auto got = to_host(d_h, x.size());
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got[i], narrow(x[i])) << "value " << x[i];
  }
}

}  // namespace
}  // namespace dbsa::test
