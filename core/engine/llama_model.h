#pragma once
// The Llama-family forward pass (llama, mistral, qwen2): embedding → per layer RMSNorm, Q/K/V (+bias),
// RoPE at explicit positions, GQA attention over KV range lists, output projection, residual, RMSNorm,
// SwiGLU MLP, residual → final norm → output head. New tokens' K/V are appended to the caller's
// KvCache, so the cache is both the context the tokens attend to (e.g. DBSA blocks assembled at
// positions 0..L-1) and the record of what this pass computed (e.g. per-block K/V for pre-encoding).
// Long inputs are processed in chunks of `ubatch` tokens so activations stay O(ubatch).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/forward_contract.h"
#include "engine/kv_cache.h"
#include "engine/model_weights.h"
#include "engine/rope.h"
#include "model/context_limit.h"

namespace dbsa {

// Throws std::invalid_argument when `be` cannot read caches of type t (Backend::reads_f16_cache).
void check_kv_type(const Backend& be, KvType t);

class LlamaModel {
 public:
  LlamaModel(ModelWeights weights, std::shared_ptr<Backend> backend);

  // Opens a GGUF file and loads it for the CPU backend with n_threads.
  static std::unique_ptr<LlamaModel> load(const std::string& path, int n_threads = 0,
                                          const WeightLoadOptions& opts = {});

  const ModelHParams& hparams() const { return w_.hp; }
  const ModelWeights& weights() const { return w_; }
  const RopeParams& rope() const { return rope_; }
  Backend& backend() { return *backend_; }
  // The longest sequence callers may assemble for this model (model/context_limit.h): the file's context
  // length unless set_context_limit() chose another. forward() itself does not enforce it: block-sparse
  // pre-encoding places a pool at positions beyond it by design (docs/METHOD.md "Pre-encoding").
  const ContextLimit& context_limit() const { return limit_; }
  void set_context_limit(ContextLimit limit) { limit_ = std::move(limit); }

  // An empty cache shaped for this model: of kv_type() when its keys are stored after RoPE, F32 when
  // before (engine/kv_cache.h, KvType).
  KvCache make_cache(int64_t capacity, KeyStorage storage = KeyStorage::PostRope) const;
  // F32 by default; F16 where the backend reads it (check_kv_type).
  void set_kv_type(KvType t);
  KvType kv_type() const { return kv_type_; }

  // Runs the tokens through the model, appending their K/V to cache. Not thread-safe (scratch is
  // reused across calls).
  ForwardResult forward(KvCache& cache, const ForwardRequest& req);

  // Floating-point operations of a pass over n tokens whose attention sees `visible_pairs` (query, key)
  // pairs in total (matmuls 2·rows·cols per token, attention 4·head_dim per pair and head), with the
  // output head over the rows `logits` asks for.
  double flops(int64_t n_tokens, int64_t visible_pairs, LogitsMode logits) const;

 private:
  // One ubatch [c0, c1) of a request, in the steps of a transformer layer.
  struct Chunk;
  void forward_chunk(KvCache& cache, const ForwardRequest& req, std::span<const int32_t> positions,
                     int64_t c0, int64_t c1, const AttentionLayout* chunk_layout, ForwardResult& res);
  void attention_sublayer(const Chunk& c, int32_t l);  // x += Wo·attention(norm(x)), K/V into the cache
  void ffn_sublayer(const Chunk& c, int32_t l);        // x += W_down·swiglu(norm(x))
  void output_head(const Chunk& c, ForwardResult& res);

  ModelWeights w_;
  std::shared_ptr<Backend> backend_;
  RopeParams rope_;
  ContextLimit limit_;
  KvType kv_type_ = KvType::F32;
  // Scratch (resized per chunk); k_new_/v_new_ hold an F16 cache's new rows before rounding.
  std::vector<float> x_, h_, q_, attn_, gate_, up_, logits_, k_new_, v_new_;
};

}  // namespace dbsa
