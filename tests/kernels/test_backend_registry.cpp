// Backend selection by name (what `--backend` uses): "cpu" always, "cuda" once registered, and one
// clear error when the CUDA backend cannot start. Runs with or without a device: each branch checks
// what must happen there.
#include <gtest/gtest.h>

#include <algorithm>

#include "cuda_backend.h"
#include "cuda_device.h"
#include "engine/backend_registry.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

TEST(BackendRegistry, CpuIsAlwaysThereAndUnknownNamesAreRefused) {
  EXPECT_EQ(make_backend("cpu", 1)->name(), "cpu");
  try {
    make_backend("tpu");
    FAIL() << "an unknown backend was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown backend 'tpu'; available: cpu"), std::string::npos)
        << e.what();
  }
}

TEST(BackendRegistry, CudaAfterRegistrationStartsOrSaysWhyNot) {
  cuda::register_cuda_backend();
  const auto names = backend_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "cuda"), names.end());
  std::string why;
  if (cuda::list_devices(&why).empty()) {
    try {
      make_backend("cuda");
      FAIL() << "the CUDA backend started without a device";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("no usable CUDA device"), std::string::npos) << e.what();
    }
  } else {
    EXPECT_EQ(make_backend("cuda")->name(), "cuda");
  }
}

TEST(BackendRegistry, DeviceForwardRunnerOnlyForDeviceBackends) {
  cuda::register_cuda_backend();
  const ModelWeights w =
      ModelWeights::load(GgufFile::open(test::fixture("models/tiny-spm-f32.gguf").string()));
  const LlamaModel model(w, make_backend("cpu", 1));
  EXPECT_EQ(make_forward_runner("cpu", model), nullptr);  // the CPU runs LlamaModel::forward itself
  std::string why;
  if (cuda::list_devices(&why).empty()) {
    EXPECT_THROW(make_forward_runner("cuda", model), std::runtime_error);
  } else {
    auto runner = make_forward_runner("cuda", model);
    ASSERT_NE(runner, nullptr);
    EXPECT_EQ(runner->cache_size(), 0);
  }
}

}  // namespace
}  // namespace dbsa
