#pragma once
// Shared by the CUDA twin tests: a fixture that skips (reported as skipped, never passed) when no
// device is usable, the CPU twin backend, random inputs and a relative comparison.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda_backend.h"
#include "cuda_device.h"
#include "engine/cpu_backend.h"

namespace dbsa::test {

class CudaTwinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (cuda::list_devices(&why).empty()) GTEST_SKIP() << "no CUDA device: " << why;
    gpu = cuda::make_cuda_backend();
  }
  std::shared_ptr<Backend> gpu;
  CpuBackend cpu{2};
  std::mt19937_64 rng{20251126};

  std::vector<float> randn(size_t n, float sd = 1.0f) {
    std::normal_distribution<float> nd(0.0f, sd);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
  }
};

// Every |got - want| <= tol * max(1, max|want|): errors of float sums scale with the magnitude of the
// values, so a tolerance relative to the largest one is the fair yardstick. NaN fails.
inline ::testing::AssertionResult near_relative(const std::vector<float>& got, const std::vector<float>& want,
                                                float tol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "sizes differ: " << got.size() << " vs " << want.size();
  float scale = 1.0f;
  for (float w : want) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i])) return ::testing::AssertionFailure() << "NaN at " << i;
    if (std::fabs(got[i] - want[i]) > tol * scale)
      return ::testing::AssertionFailure()
             << "at " << i << ": " << got[i] << " vs " << want[i] << " (tol " << tol * scale << ")";
  }
  return ::testing::AssertionSuccess();
}

// The same argmax, or a near-tie: the CPU's logit of our top token within tol·max|logit| of its own top
// (two logits that close cannot order the argmax across implementations).
inline ::testing::AssertionResult same_argmax_or_near_tie(const std::vector<float>& got,
                                                          const std::vector<float>& want, float tol) {
  const auto top = [](const std::vector<float>& v) {
    return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
  };
  const size_t g = top(got), w = top(want);
  if (g == w) return ::testing::AssertionSuccess();
  float scale = 1.0f;
  for (float x : want) scale = std::max(scale, std::fabs(x));
  if (want[w] - want[g] <= tol * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "argmax " << g << " (CPU logit " << want[g] << ") vs " << w << " (" << want[w] << ")";
}

}  // namespace dbsa::test
