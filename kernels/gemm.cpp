#include "gemm.h"

#include <limits>
#include <stdexcept>
#include <string>

#include "activation_convert.cuh"

namespace dbsa::cuda {

namespace {

int as_int(int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<int>::max())
    throw std::invalid_argument(std::string("gemm: ") + what + " " + std::to_string(v) +
                                " does not fit cuBLAS's 32-bit dimensions");
  return static_cast<int>(v);
}

cudaDataType data_type(Elem e) {
  switch (e) {
    case Elem::F32:
      return CUDA_R_32F;
    case Elem::F16:
      return CUDA_R_16F;
    case Elem::BF16:
      return CUDA_R_16BF;
  }
  return CUDA_R_32F;
}

}  // namespace

CublasGemm::CublasGemm(cudaStream_t s) : stream_(s) {
  DBSA_CUDA_CHECK(cublasCreate(&handle_));
  try {
    DBSA_CUDA_CHECK(cublasSetStream(handle_, s));
  } catch (...) {
    cublasDestroy(handle_);
    throw;
  }
}

CublasGemm::~CublasGemm() {
  if (handle_) cublasDestroy(handle_);
}

void CublasGemm::run(const float* x, int64_t n, const void* w, Elem wtype, int64_t rows, int64_t cols,
                     float* y) {
  if (n <= 0 || rows <= 0) return;
  // Row-major y = x·Wᵀ is column-major yᵀ = W·xᵀ: W's row-major [rows][cols] storage is a column-major
  // cols × rows matrix (transposed by op T), x's is cols × n, y's is rows × n. No copies, no transposes.
  const int m_ = as_int(rows, "rows"), n_ = as_int(n, "tokens"), k_ = as_int(cols, "cols");
  const void* b = x;
  if (wtype != Elem::F32) {
    x16_.resize(static_cast<size_t>(n * cols));
    convert_activations(x, x16_.data(), wtype, n * cols, stream_);
    b = x16_.data();
  }
  const float alpha = 1.0f, beta = 0.0f;
  const cudaDataType t = data_type(wtype);
  DBSA_CUDA_CHECK(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, m_, n_, k_, &alpha, w, t, k_, b, t, k_,
                               &beta, y, CUDA_R_32F, m_, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace dbsa::cuda
