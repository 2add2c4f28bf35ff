#include "cuda_forward.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_check.h"
#include "cuda_device.h"
#include "device_block_cache.h"
#include "device_buffer.h"
#include "device_kv_cache.h"
#include "device_weights.h"
#include "embedding.cuh"
#include "engine/forward_request.h"
#include "event_timer.h"
#include "flash_attention_plan.h"
#include "gemm.h"
#include "residual_add.cuh"
#include "rms_norm.cuh"
#include "rope.cuh"
#include "swiglu.cuh"

namespace dbsa::cuda {

struct CudaForward::Impl {
  const LlamaModel& model;
  int sm_count = 1;
  cudaStream_t stream = nullptr;
  std::unique_ptr<CublasGemm> gemm;
  std::unique_ptr<DeviceWeights> weights;
  std::unique_ptr<DeviceKvCache> cache;
  std::unique_ptr<DeviceBlockCache> blocks;
  FlashWorkspace flash;
  // Activations of one chunk (grown as needed), as in LlamaModel's scratch.
  DeviceBuffer<float> x, h, q, attn, gate, up, logits, q_cos_sin;
  DeviceBuffer<int32_t> ids;
  std::vector<float> host_logits;

  Impl(const LlamaModel& m, KeyStorage storage, int device) : model(m) {
    sm_count = use_device(device, "CUDA forward").multiprocessors;
    DBSA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    try {
      gemm = std::make_unique<CublasGemm>(stream);
      weights = std::make_unique<DeviceWeights>(stream);
      const auto& hp = m.hparams();
      cache = std::make_unique<DeviceKvCache>(static_cast<int32_t>(hp.n_layer),
                                              static_cast<int32_t>(hp.n_head_kv),
                                              static_cast<int32_t>(hp.head_dim), storage, stream);
      upload_weights();
    } catch (...) {
      release();
      throw;
    }
  }
  ~Impl() { release(); }

  void release() {
    blocks.reset();
    gemm.reset();
    weights.reset();
    cache.reset();
    if (stream) cudaStreamDestroy(stream);
    stream = nullptr;
  }

  // Everything up front, so the first pass does not pay for uploads and a model too large for the
  // device fails here, with cudaMalloc's error, rather than in the middle of a pass.
  void upload_weights() {
    const ModelWeights& w = model.weights();
    weights->matrix(w.token_embd);
    for (const LayerWeights& L : w.layers) {
      for (const WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down})
        weights->matrix(*m);
      for (const auto* v : {&L.attn_norm, &L.ffn_norm, &L.bq, &L.bk, &L.bv}) weights->vector(*v);
    }
    weights->vector(w.output_norm);
    weights->matrix(w.output);
    DBSA_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  void project(const float* in, int64_t n, const WeightMatrix& w, float* out) {
    gemm->run(in, n, weights->matrix(w), elem_of(w.type), w.rows, w.cols, out);
  }

  void chunk(const ForwardRequest& req, std::span<const int32_t> positions, int64_t c0, int64_t c1,
             const AttentionLayout& layout, ForwardResult& res);
};

void CudaForward::Impl::chunk(const ForwardRequest& req, std::span<const int32_t> positions, int64_t c0,
                              int64_t c1, const AttentionLayout& layout, ForwardResult& res) {
  const ModelWeights& W = model.weights();
  const auto& hp = model.hparams();
  const RopeParams& rope = model.rope();
  const int64_t n = c1 - c0, embd = hp.n_embd, hd = hp.head_dim, ff = hp.n_ff, vocab = hp.n_vocab;
  const int64_t q_dim = static_cast<int64_t>(hp.n_head) * hd,
                kv_dim = static_cast<int64_t>(hp.n_head_kv) * hd;
  const auto chunk_pos = positions.subspan(static_cast<size_t>(c0), static_cast<size_t>(n));
  const auto chunk_ids = req.tokens.subspan(static_cast<size_t>(c0), static_cast<size_t>(n));
  for (size_t t = 0; t < chunk_ids.size(); ++t)
    if (chunk_ids[t] < 0 || chunk_ids[t] >= W.token_embd.rows)
      throw std::out_of_range("embedding " + W.token_embd.name + ": token id " +
                              std::to_string(chunk_ids[t]) + " at input position " +
                              std::to_string(c0 + static_cast<int64_t>(t)) + " is outside [0, " +
                              std::to_string(W.token_embd.rows) + ")");
  const int64_t row0 = cache->append(chunk_pos);
  const bool pre_rope = cache->storage() == KeyStorage::PreRope;

  x.resize(static_cast<size_t>(n * embd));
  h.resize(static_cast<size_t>(n * embd));
  q.resize(static_cast<size_t>(n * q_dim));
  attn.resize(static_cast<size_t>(n * q_dim));
  gate.resize(static_cast<size_t>(n * ff));
  up.resize(static_cast<size_t>(n * ff));
  ids.resize(static_cast<size_t>(n));
  DBSA_CUDA_CHECK(cudaMemcpyAsync(ids.data(), chunk_ids.data(), static_cast<size_t>(n) * sizeof(int32_t),
                                  cudaMemcpyHostToDevice, stream));
  // The queries' (and post-RoPE keys') rotation rows, computed by the engine's RopeTable.
  const RopeTable q_table(rope, chunk_pos);
  const int64_t half = q_table.half();
  q_cos_sin.resize(static_cast<size_t>(2 * n * half));
  DBSA_CUDA_CHECK(cudaMemcpyAsync(q_cos_sin.data(), q_table.cos_row(0),
                                  static_cast<size_t>(n * half) * sizeof(float), cudaMemcpyHostToDevice,
                                  stream));
  DBSA_CUDA_CHECK(cudaMemcpyAsync(q_cos_sin.data() + n * half, q_table.sin_row(0),
                                  static_cast<size_t>(n * half) * sizeof(float), cudaMemcpyHostToDevice,
                                  stream));
  const float* q_cos = q_cos_sin.data();
  const float* q_sin = q_cos_sin.data() + n * half;
  const RopeShape shape{rope.head_dim, rope.n_rot, rope.neox};

  FlashArgs fa;
  fa.q = q.data();
  fa.out = attn.data();
  fa.kv_stride = kv_dim;
  fa.query_kv_offset = layout.query_kv_offset;
  fa.n_head = static_cast<int32_t>(hp.n_head);
  fa.n_head_kv = static_cast<int32_t>(hp.n_head_kv);
  fa.head_dim = static_cast<int32_t>(hd);
  fa.scale = 1.0f / std::sqrt(static_cast<float>(hd));
  if (pre_rope) {
    fa.key_cos = cache->key_cos(rope);
    fa.key_sin = cache->key_sin();
    fa.key_rope = shape;
  }
  // One plan per chunk: every layer attends with the same layout.
  flash.upload(plan_flash_attention(layout, fa.n_head, kFlashMinCtasPerSm * sm_count), fa, stream);

  embedding_gather(weights->matrix(W.token_embd), elem_of(W.token_embd.type), embd, ids.data(), n, x.data(),
                   stream);
  for (int32_t l = 0; l < static_cast<int32_t>(hp.n_layer); ++l) {
    const LayerWeights& L = W.layers[static_cast<size_t>(l)];
    float* kc = cache->k(l, row0);
    float* vc = cache->v(l, row0);
    rms_norm(x.data(), weights->vector(L.attn_norm), h.data(), n, embd, hp.rms_norm_eps, stream);
    project(h.data(), n, L.wq, q.data());
    project(h.data(), n, L.wk, kc);
    project(h.data(), n, L.wv, vc);
    if (!L.bq.empty()) add_bias_rows(q.data(), weights->vector(L.bq), n, q_dim, stream);
    if (!L.bk.empty()) add_bias_rows(kc, weights->vector(L.bk), n, kv_dim, stream);
    if (!L.bv.empty()) add_bias_rows(vc, weights->vector(L.bv), n, kv_dim, stream);
    rope_rotate(shape, q_cos, q_sin, q.data(), n, fa.n_head, stream);
    if (!pre_rope) rope_rotate(shape, q_cos, q_sin, kc, n, fa.n_head_kv, stream);
    fa.k = cache->k(l, 0);
    fa.v = cache->v(l, 0);
    flash_attention(fa, stream);
    project(attn.data(), n, L.wo, h.data());
    add_inplace(x.data(), h.data(), n * embd, stream);

    rms_norm(x.data(), weights->vector(L.ffn_norm), h.data(), n, embd, hp.rms_norm_eps, stream);
    project(h.data(), n, L.w_gate, gate.data());
    project(h.data(), n, L.w_up, up.data());
    swiglu(gate.data(), up.data(), gate.data(), n * ff, stream);
    project(gate.data(), n, L.w_down, h.data());
    add_inplace(x.data(), h.data(), n * embd, stream);
  }

  const bool last_chunk = c1 == static_cast<int64_t>(req.tokens.size());
  if (req.logits == LogitsMode::All) {
    rms_norm(x.data(), weights->vector(W.output_norm), h.data(), n, embd, hp.rms_norm_eps, stream);
    logits.resize(static_cast<size_t>(n * vocab));
    project(h.data(), n, W.output, logits.data());
    float* dst = res.logits.empty() ? (host_logits.resize(static_cast<size_t>(n * vocab)), host_logits.data())
                                    : res.logits.data() + c0 * vocab;
    DBSA_CUDA_CHECK(cudaMemcpyAsync(dst, logits.data(), static_cast<size_t>(n * vocab) * sizeof(float),
                                    cudaMemcpyDeviceToHost, stream));
    DBSA_CUDA_CHECK(cudaStreamSynchronize(stream));
    if (req.on_logits) req.on_logits(c0, n, dst);
  }
  if (req.logits == LogitsMode::Last && last_chunk) {
    rms_norm(x.data() + (n - 1) * embd, weights->vector(W.output_norm), h.data(), 1, embd, hp.rms_norm_eps,
             stream);
    logits.resize(static_cast<size_t>(vocab));
    project(h.data(), 1, W.output, logits.data());
    res.logits.resize(static_cast<size_t>(vocab));
    DBSA_CUDA_CHECK(cudaMemcpyAsync(res.logits.data(), logits.data(),
                                    static_cast<size_t>(vocab) * sizeof(float), cudaMemcpyDeviceToHost,
                                    stream));
    DBSA_CUDA_CHECK(cudaStreamSynchronize(stream));
    res.n_rows = 1;
  }
}

CudaForward::CudaForward(const LlamaModel& model, KeyStorage storage, int device)
    : impl_(std::make_unique<Impl>(model, storage, device)) {}

CudaForward::~CudaForward() = default;

ForwardResult CudaForward::forward(const ForwardRequest& req) {
  Impl& m = *impl_;
  const auto n = static_cast<int64_t>(req.tokens.size());
  ForwardResult res;
  if (n == 0) return res;
  if (req.capture || req.on_hidden)
    throw std::invalid_argument("CUDA forward: attention capture and hidden states are CPU-only");
  std::vector<int32_t> default_pos;
  const auto last = m.cache->size() ? std::optional<int32_t>(m.cache->positions().back()) : std::nullopt;
  const auto positions = request_positions(req, last, default_pos, "CUDA forward");
  const int64_t n_past = m.cache->size();
  check_request_layout(req, n_past, "CUDA forward");
  if (req.logits == LogitsMode::All && !req.on_logits) {
    res.logits.resize(static_cast<size_t>(n * m.model.hparams().n_vocab));
    res.n_rows = n;
  }
  const int64_t ub = std::max<int64_t>(1, req.ubatch);
  try {
    for (int64_t c0 = 0; c0 < n; c0 += ub) {
      const int64_t c1 = std::min(n, c0 + ub);
      const AttentionLayout layout =
          req.layout ? req.layout->slice(c0, c1) : AttentionLayout::dense_causal(c1 - c0, n_past + c0);
      m.chunk(req, positions, c0, c1, layout, res);
    }
    DBSA_CUDA_CHECK(cudaStreamSynchronize(m.stream));
  } catch (...) {
    m.cache->truncate(n_past);  // a failed pass leaves the cache as it was
    throw;
  }
  return res;
}

void CudaForward::attach_store(const BlockCache& store, size_t capacity_bytes) {
  const auto& hp = impl_->model.hparams();
  const KvShape& s = store.shape();
  if (s.n_layer != static_cast<int32_t>(hp.n_layer) || s.n_head_kv != static_cast<int32_t>(hp.n_head_kv) ||
      s.head_dim != static_cast<int32_t>(hp.head_dim))
    throw std::invalid_argument("CUDA forward: the block store " + store.dir().string() +
                                " holds K/V of another model shape");
  impl_->blocks.reset();
  impl_->blocks = std::make_unique<DeviceBlockCache>(store, capacity_bytes, impl_->stream);
}

void CudaForward::append_blocks(std::span<const int32_t> blocks, std::span<const int32_t> positions) {
  Impl& m = *impl_;
  if (!m.blocks) throw std::logic_error("CUDA forward: append_blocks needs attach_store first");
  if (m.cache->storage() != KeyStorage::PreRope)
    throw std::invalid_argument("CUDA forward: stored blocks hold pre-RoPE keys; use a PreRope cache");
  int64_t total = 0;
  for (int32_t b : blocks) total += m.blocks->block_tokens(b);
  if (total != static_cast<int64_t>(positions.size()))
    throw std::invalid_argument("CUDA forward: " + std::to_string(positions.size()) + " positions for " +
                                std::to_string(total) + " block tokens");
  const int64_t row0 = m.cache->append(positions);
  try {
    for (int32_t l = 0; l < m.cache->n_layer(); ++l)
      m.blocks->assemble(blocks, l, m.cache->k(l, row0), m.cache->v(l, row0));
  } catch (...) {
    m.cache->truncate(row0);
    throw;
  }
}

int64_t CudaForward::cache_size() const {
  return impl_->cache->size();
}

void CudaForward::truncate_cache(int64_t n) {
  impl_->cache->truncate(n);
}

void CudaForward::read_kv(int32_t layer, int64_t first, int64_t n, float* k, float* v) {
  impl_->cache->read_rows(layer, first, n, k, v);
}

std::unique_ptr<DeviceTimer> CudaForward::device_timer() {
  return std::make_unique<EventTimer>(impl_->stream);
}

}  // namespace dbsa::cuda
