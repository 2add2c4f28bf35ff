#pragma once
// The CUDA implementation of dbsa::Backend (core/engine/backend.h) for the engine's host buffers: each
// call copies its inputs to the device, runs the kernel (cuBLAS GEMM, RMSNorm, RoPE, SwiGLU, flash
// attention over the same KV range lists) and copies the result back. Weights are uploaded once, at
// their first use, and stay on the device. This is what the op-level twin tests drive and what the
// LlamaModel forward uses with `--backend cuda`. Plain C++ header: callers need no CUDA headers.
#include <memory>

#include "engine/backend.h"

namespace dbsa::cuda {

// Throws std::runtime_error naming the reason when no device is usable (no driver, no GPU).
std::shared_ptr<Backend> make_cuda_backend(int device = 0);

// Adds "cuda" to the engine's backend registry (engine/backend_registry.h), so `--backend cuda` works:
// the backend (CudaBackend) and its device-resident forward runner (CudaForward, cuda_forward.h).
void register_cuda_backend();

}  // namespace dbsa::cuda
