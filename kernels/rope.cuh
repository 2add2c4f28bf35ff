#pragma once
// Rotary position embedding on the device; CPU twin: dbsa::rope_apply / rope_rotate_head
// (core/engine/rope.h). The cos/sin tables are the engine's RopeTable rows copied to the device, so
// the angle math (llama3 frequency factors, linear scaling) exists once, in core.
#include <cuda_runtime.h>

#include <cstdint>

namespace dbsa::cuda {

struct RopeShape {
  int32_t head_dim = 0;
  int32_t n_rot = 0;  // rotated dimensions per head; the rest pass through
  bool neox = false;  // split halves (x[i], x[i+n_rot/2]) instead of interleaved pairs
};

// Rotates x[n_tokens][n_heads][head_dim] in place; token t uses row t of cos/sin ([rows][n_rot/2] each,
// device pointers already offset to the first token's row).
void rope_rotate(const RopeShape& p, const float* cos, const float* sin, float* x, int64_t n_tokens,
                 int32_t n_heads, cudaStream_t s);

#ifdef __CUDACC__
// Rotates pair i of one head vector; shared by the RoPE kernel and the pre-RoPE key path of attention.
__device__ inline void rope_rotate_pair(const RopeShape& p, float c, float s, int32_t i, float* head) {
  const int32_t a = p.neox ? i : 2 * i;
  const int32_t b = p.neox ? i + p.n_rot / 2 : 2 * i + 1;
  const float x0 = head[a], x1 = head[b];
  head[a] = x0 * c - x1 * s;
  head[b] = x0 * s + x1 * c;
}
#endif

}  // namespace dbsa::cuda
