#include "cuda_backend.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_check.h"
#include "cuda_device.h"
#include "cuda_forward.h"
#include "device_buffer.h"
#include "device_weights.h"
#include "engine/activation_rounding.h"
#include "engine/backend_registry.h"
#include "event_timer.h"
#include "flash_attention_plan.h"
#include "gemm.h"
#include "rms_norm.cuh"
#include "rope.cuh"
#include "swiglu.cuh"

namespace dbsa::cuda {

namespace {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device);
  ~CudaBackend() override;
  std::string_view name() const override { return "cuda"; }

  void matmul(const float* x, int64_t n, const WeightMatrix& w, float* y) override;
  void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps) override;
  void swiglu(const float* gate, const float* up, float* out, int64_t n) override;
  void rope(const RopeParams& p, const RopeTable& table, int64_t first_row, float* x, int64_t n_tokens,
            int32_t n_heads) override;
  void attention(const AttentionArgs& args) override;
  // Every op runs on stream_, so events on it bracket exactly the work of what is being timed.
  std::unique_ptr<DeviceTimer> device_timer() override { return std::make_unique<EventTimer>(stream_); }

 private:
  float* upload(DeviceBuffer<float>& dst, const float* src, int64_t n);
  void download(float* dst, const float* src, int64_t n);

  int sm_count_ = 1;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<CublasGemm> gemm_;
  std::unique_ptr<DeviceWeights> weights_;
  DeviceBuffer<float> a_, b_, c_, d_, cos_, sin_;
  std::vector<float> rounded_;
  FlashWorkspace flash_;
};

CudaBackend::CudaBackend(int device) {
  sm_count_ = use_device(device, "CUDA backend").multiprocessors;
  DBSA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  try {
    gemm_ = std::make_unique<CublasGemm>(stream_);
    weights_ = std::make_unique<DeviceWeights>(stream_);
  } catch (...) {
    cudaStreamDestroy(stream_);
    throw;
  }
}

CudaBackend::~CudaBackend() {
  gemm_.reset();
  weights_.reset();
  cudaStreamDestroy(stream_);
}

float* CudaBackend::upload(DeviceBuffer<float>& dst, const float* src, int64_t n) {
  dst.resize(static_cast<size_t>(n));
  DBSA_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src, static_cast<size_t>(n) * sizeof(float),
                                  cudaMemcpyHostToDevice, stream_));
  return dst.data();
}

void CudaBackend::download(float* dst, const float* src, int64_t n) {
  DBSA_CUDA_CHECK(
      cudaMemcpyAsync(dst, src, static_cast<size_t>(n) * sizeof(float), cudaMemcpyDeviceToHost, stream_));
  DBSA_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaBackend::matmul(const float* x, int64_t n, const WeightMatrix& w, float* y) {
  if (n <= 0 || w.rows == 0) return;
  if (needs_host_rounding(w)) {
    rounded_.resize(static_cast<size_t>(n * w.cols));
    round_activations(w.act_rounding, x, rounded_.data(), n, w.cols);
    x = rounded_.data();
  }
  const void* dw = weights_->matrix(w);
  float* dx = upload(a_, x, n * w.cols);
  c_.resize(static_cast<size_t>(n * w.rows));
  gemm_->run(dx, n, dw, elem_of(w.type), w.rows, w.cols, c_.data());
  download(y, c_.data(), n * w.rows);
}

void CudaBackend::rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t dim, float eps) {
  if (n_rows <= 0 || dim <= 0) return;
  float* dx = upload(a_, x, n_rows * dim);
  float* dw = upload(b_, w, dim);
  cuda::rms_norm(dx, dw, dx, n_rows, dim, eps, stream_);
  download(y, dx, n_rows * dim);
}

void CudaBackend::swiglu(const float* gate, const float* up, float* out, int64_t n) {
  if (n <= 0) return;
  float* dg = upload(a_, gate, n);
  float* du = upload(b_, up, n);
  cuda::swiglu(dg, du, dg, n, stream_);
  download(out, dg, n);
}

void CudaBackend::rope(const RopeParams& p, const RopeTable& table, int64_t first_row, float* x,
                       int64_t n_tokens, int32_t n_heads) {
  if (n_tokens <= 0) return;
  if (first_row < 0 || first_row + n_tokens > table.size())
    throw std::out_of_range("cuda rope: table rows [" + std::to_string(first_row) + ", " +
                            std::to_string(first_row + n_tokens) + ") outside a table of " +
                            std::to_string(table.size()));
  const int64_t half = table.half();
  float* dx = upload(a_, x, n_tokens * n_heads * p.head_dim);
  float* dc = upload(cos_, table.cos_row(first_row), n_tokens * half);
  float* ds = upload(sin_, table.sin_row(first_row), n_tokens * half);
  rope_rotate({p.head_dim, p.n_rot, p.neox}, dc, ds, dx, n_tokens, n_heads, stream_);
  download(x, dx, n_tokens * n_heads * p.head_dim);
}

void CudaBackend::attention(const AttentionArgs& a) {
  if (!a.q || !a.k || !a.v || !a.out || !a.layout)
    throw std::invalid_argument("cuda attention: null argument");
  if ((a.key_rope == nullptr) != (a.key_table == nullptr))
    throw std::invalid_argument("cuda attention: key_rope and key_table go together");
  if (a.key_table && a.key_table->size() < a.n_kv)
    throw std::invalid_argument("cuda attention: the key RoPE table covers fewer rows than the KV view");
  a.layout->validate(a.n_kv);
  const int64_t nq = a.layout->n_queries;
  if (nq == 0) return;
  const int64_t q_floats = nq * a.n_head * a.head_dim;
  FlashArgs f;
  f.q = upload(a_, a.q, q_floats);
  const float* k = a.k;
  const float* v = a.v;
  int64_t kv_stride = a.kv_stride;
  std::vector<float> packed_k, packed_v;
  if (a.prefix) {
    // This per-op backend uploads the whole view on every call anyway, so rows served by a prefix source
    // (a DBSA query's blocks in the store) are first gathered with the stored rows into one host copy.
    const int64_t row = static_cast<int64_t>(a.n_head_kv) * a.head_dim;
    packed_k.resize(static_cast<size_t>(a.n_kv * row));
    packed_v.resize(packed_k.size());
    std::vector<float> head_rows(static_cast<size_t>(a.prefix_rows * a.head_dim));
    for (int32_t h = 0; h < a.n_head_kv; ++h)
      for (const bool is_v : {false, true}) {
        a.prefix->read(a.prefix_layer, is_v, h, 0, a.prefix_rows, head_rows.data());
        float* dst = (is_v ? packed_v : packed_k).data() + static_cast<int64_t>(h) * a.head_dim;
        for (int64_t t = 0; t < a.prefix_rows; ++t)
          std::copy_n(head_rows.data() + t * a.head_dim, a.head_dim, dst + t * row);
      }
    for (int64_t t = a.prefix_rows; t < a.n_kv; ++t) {
      std::copy_n(a.k + (t - a.prefix_rows) * a.kv_stride, row, packed_k.data() + t * row);
      std::copy_n(a.v + (t - a.prefix_rows) * a.kv_stride, row, packed_v.data() + t * row);
    }
    k = packed_k.data();
    v = packed_v.data();
    kv_stride = row;
  }
  if (a.n_kv > 0) {
    // Only the floats up to the last key row's end: the view may be a prefix of a larger cache.
    const int64_t kv_floats = (a.n_kv - 1) * kv_stride + static_cast<int64_t>(a.n_head_kv) * a.head_dim;
    f.k = upload(b_, k, kv_floats);
    f.v = upload(c_, v, kv_floats);
  }
  d_.resize(static_cast<size_t>(q_floats));
  f.out = d_.data();
  f.kv_stride = kv_stride;
  f.query_kv_offset = a.layout->query_kv_offset;
  f.n_head = a.n_head;
  f.n_head_kv = a.n_head_kv;
  f.head_dim = a.head_dim;
  f.scale = a.scale;
  if (a.key_rope) {
    const int64_t half = a.key_table->half();
    f.key_cos = upload(cos_, a.key_table->cos_row(0), a.n_kv * half);
    f.key_sin = upload(sin_, a.key_table->sin_row(0), a.n_kv * half);
    f.key_rope = {a.key_rope->head_dim, a.key_rope->n_rot, a.key_rope->neox};
  }
  flash_.upload(plan_flash_attention(*a.layout, a.n_head, kFlashMinCtasPerSm * sm_count_), f, stream_);
  flash_attention(f, stream_);
  download(a.out, f.out, q_floats);
}

}  // namespace

std::shared_ptr<Backend> make_cuda_backend(int device) {
  return std::make_shared<CudaBackend>(device);
}

void register_cuda_backend() {
  register_backend("cuda", [](int) { return make_cuda_backend(0); });
  register_forward_runner("cuda", [](const LlamaModel& m) { return std::make_unique<CudaForward>(m); });
}

}  // namespace dbsa::cuda
