#include "engine/llama_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/cpu_backend.h"
#include "engine/forward_request.h"
#include "engine/ops.h"

namespace dbsa {

LlamaModel::LlamaModel(ModelWeights weights, std::shared_ptr<Backend> backend)
    : w_(std::move(weights)),
      backend_(std::move(backend)),
      rope_(RopeParams::from_hparams(w_.hp)),
      limit_(model_context_limit(w_.hp, w_.file ? w_.file->path() : std::string())) {
  if (!backend_) throw std::invalid_argument("LlamaModel: null backend");
  // A rope_freqs tensor in the file is authoritative over factors derived from the metadata.
  if (!w_.rope_freqs.empty()) rope_.freq_factors = w_.rope_freqs;
}

std::unique_ptr<LlamaModel> LlamaModel::load(const std::string& path, int n_threads,
                                             const WeightLoadOptions& opts) {
  std::shared_ptr<const GgufFile> file = GgufFile::open(path);
  return std::make_unique<LlamaModel>(ModelWeights::load(file, opts),
                                      std::make_shared<CpuBackend>(n_threads));
}

KvCache LlamaModel::make_cache(int64_t capacity, KeyStorage storage) const {
  return KvCache(static_cast<int32_t>(w_.hp.n_layer), static_cast<int32_t>(w_.hp.n_head_kv),
                 static_cast<int32_t>(w_.hp.head_dim), capacity, storage,
                 storage == KeyStorage::PostRope ? kv_type_ : KvType::F32);
}

void check_kv_type(const Backend& be, KvType t) {
  if (t == KvType::F16 && !be.reads_f16_cache())
    throw std::invalid_argument("--kv-cache f16: the " + std::string(be.name()) +
                                " backend reads F32 caches only (the streamed CPU backend, cpu, reads F16)");
}

void LlamaModel::set_kv_type(KvType t) {
  check_kv_type(*backend_, t);
  kv_type_ = t;
}

double LlamaModel::flops(int64_t n_tokens, int64_t visible_pairs, LogitsMode logits) const {
  const auto& hp = w_.hp;
  const double hd = hp.head_dim, embd = hp.n_embd;
  const double per_layer =
      2.0 * embd * hd * (2.0 * hp.n_head + 2.0 * hp.n_head_kv) + 2.0 * 3.0 * embd * hp.n_ff;
  const int64_t head_rows = logits == LogitsMode::All ? n_tokens : logits == LogitsMode::Last ? 1 : 0;
  const double head = 2.0 * embd * hp.n_vocab * static_cast<double>(head_rows);
  const double attn = 4.0 * hd * hp.n_head * static_cast<double>(visible_pairs) * hp.n_layer;
  return per_layer * hp.n_layer * static_cast<double>(n_tokens) + head + attn;
}

ForwardResult LlamaModel::forward(KvCache& cache, const ForwardRequest& req) {
  const auto n = static_cast<int64_t>(req.tokens.size());
  ForwardResult res;
  if (n == 0) return res;
  if (cache.n_layer() != static_cast<int32_t>(w_.hp.n_layer) ||
      cache.head_dim() != static_cast<int32_t>(w_.hp.head_dim) ||
      cache.n_head_kv() != static_cast<int32_t>(w_.hp.n_head_kv))
    throw std::invalid_argument("forward: the KV cache is shaped for another model");
  std::vector<int32_t> default_pos;
  const std::optional<int32_t> last =
      cache.size() ? std::optional<int32_t>(cache.positions().back()) : std::nullopt;
  const std::span<const int32_t> positions = request_positions(req, last, default_pos, "forward");
  const int64_t n_past = cache.size();
  check_request_layout(req, n_past, "forward");
  if (req.capture) {
    if (req.capture->layer < 0 || req.capture->layer >= static_cast<int32_t>(w_.hp.n_layer) ||
        req.capture->head < 0 || req.capture->head >= static_cast<int32_t>(w_.hp.n_head))
      throw std::invalid_argument("forward: attention capture layer/head out of range");
    req.capture->weights.assign(req.capture->queries.size(), {});
  }
  if (req.logits == LogitsMode::All && !req.on_logits) {
    res.logits.resize(static_cast<size_t>(n) * w_.hp.n_vocab);
    res.n_rows = n;
  }
  const int64_t ub = std::max<int64_t>(1, req.ubatch);
  try {
    for (int64_t c0 = 0; c0 < n; c0 += ub) {
      const int64_t c1 = std::min(n, c0 + ub);
      AttentionLayout chunk_layout =
          req.layout ? req.layout->slice(c0, c1) : AttentionLayout::dense_causal(c1 - c0, n_past + c0);
      forward_chunk(cache, req, positions, c0, c1, &chunk_layout, res);
    }
  } catch (...) {
    cache.truncate(n_past);  // a failed pass leaves the cache as it was
    throw;
  }
  if (req.capture)  // keys after a query are masked: pad early chunks' rows to the full view
    for (auto& w : req.capture->weights) w.resize(static_cast<size_t>(cache.size()), 0.0f);
  return res;
}

struct LlamaModel::Chunk {
  KvCache& cache;
  const ForwardRequest& req;
  int64_t c0, c1, n;  // the chunk's tokens [c0, c1) of the request, n of them
  int64_t row0;       // its first row in the cache
  const RopeTable& q_table;
  const RopeTable* key_table;  // the cache's table when it keeps pre-RoPE keys, else null
  const AttentionLayout* layout;
};

void LlamaModel::forward_chunk(KvCache& cache, const ForwardRequest& req, std::span<const int32_t> positions,
                               int64_t c0, int64_t c1, const AttentionLayout* chunk_layout,
                               ForwardResult& res) {
  const auto& hp = w_.hp;
  const int64_t n = c1 - c0, embd = hp.n_embd;
  const int64_t q_dim = static_cast<int64_t>(hp.n_head) * hp.head_dim;
  const auto chunk_pos = positions.subspan(static_cast<size_t>(c0), static_cast<size_t>(n));
  const int64_t row0 = cache.append(chunk_pos);
  const RopeTable q_table(rope_, chunk_pos);
  const RopeTable* key_table = cache.storage() == KeyStorage::PreRope ? &cache.rope_table(rope_) : nullptr;
  const Chunk c{cache, req, c0, c1, n, row0, q_table, key_table, chunk_layout};

  x_.resize(static_cast<size_t>(n * embd));
  h_.resize(static_cast<size_t>(n * embd));
  q_.resize(static_cast<size_t>(n * q_dim));
  attn_.resize(static_cast<size_t>(n * q_dim));
  gate_.resize(static_cast<size_t>(n * hp.n_ff));
  up_.resize(static_cast<size_t>(n * hp.n_ff));
  embedding_lookup(w_.token_embd, req.tokens.subspan(static_cast<size_t>(c0), static_cast<size_t>(n)),
                   x_.data());
  for (int32_t l = 0; l < static_cast<int32_t>(hp.n_layer); ++l) {
    attention_sublayer(c, l);
    ffn_sublayer(c, l);
    if (req.on_hidden && req.hidden_layer == l) req.on_hidden(c0, n, x_.data());
  }
  output_head(c, res);
}

void LlamaModel::attention_sublayer(const Chunk& c, int32_t l) {
  const auto& hp = w_.hp;
  const LayerWeights& L = w_.layers[static_cast<size_t>(l)];
  const int64_t n = c.n, embd = hp.n_embd, hd = hp.head_dim;
  const int64_t q_dim = static_cast<int64_t>(hp.n_head) * hd,
                kv_dim = static_cast<int64_t>(hp.n_head_kv) * hd;
  Backend& be = *backend_;
  KvCache& cache = c.cache;
  // An F32 cache takes the new rows straight from the products; an F16 one through scratch, rounded
  // once they are final (after bias and RoPE).
  const bool f16 = cache.type() == KvType::F16;
  if (f16) {
    k_new_.resize(static_cast<size_t>(n * kv_dim));
    v_new_.resize(static_cast<size_t>(n * kv_dim));
  }
  float* kc = f16 ? k_new_.data() : cache.k(l, c.row0);
  float* vc = f16 ? v_new_.data() : cache.v(l, c.row0);
  be.rms_norm(x_.data(), L.attn_norm.data(), h_.data(), n, embd, hp.rms_norm_eps);
  const MatmulTarget qkv[] = {{&L.wq, q_.data()}, {&L.wk, kc}, {&L.wv, vc}};
  be.matmuls(h_.data(), n, qkv);
  if (!L.bq.empty()) add_bias_rows(q_.data(), L.bq.data(), n, q_dim);
  if (!L.bk.empty()) add_bias_rows(kc, L.bk.data(), n, kv_dim);
  if (!L.bv.empty()) add_bias_rows(vc, L.bv.data(), n, kv_dim);
  be.rope(rope_, c.q_table, 0, q_.data(), n, static_cast<int32_t>(hp.n_head));
  if (!c.key_table) be.rope(rope_, c.q_table, 0, kc, n, static_cast<int32_t>(hp.n_head_kv));

  AttentionArgs a;
  a.q = q_.data();
  if (f16) {
    cache.store_rows(l, c.row0, n, kc, vc);
    a.k16 = cache.k16(l, cache.prefix_rows());
    a.v16 = cache.v16(l, cache.prefix_rows());
  } else {
    a.k = cache.k(l, cache.prefix_rows());
    a.v = cache.v(l, cache.prefix_rows());
  }
  a.prefix = cache.prefix();
  a.prefix_layer = l;
  a.prefix_rows = cache.prefix_rows();
  a.n_kv = c.row0 + n;
  a.kv_stride = kv_dim;
  a.n_head = static_cast<int32_t>(hp.n_head);
  a.n_head_kv = static_cast<int32_t>(hp.n_head_kv);
  a.head_dim = static_cast<int32_t>(hd);
  a.scale = 1.0f / std::sqrt(static_cast<float>(hd));
  a.layout = c.layout;
  if (c.key_table) {
    a.key_rope = &rope_;
    a.key_table = c.key_table;
    a.k_rotated = cache.rotated_k(l, rope_);
  }
  a.out = attn_.data();
  be.attention(a);
  if (AttentionCapture* cap = c.req.capture; cap && cap->layer == l) {
    for (size_t i = 0; i < cap->queries.size(); ++i) {
      const int64_t qi = cap->queries[i];
      if (qi >= c.c0 && qi < c.c1) cap->weights[i] = attention_weights(a, qi - c.c0, cap->head);
    }
  }
  be.matmul(attn_.data(), n, L.wo, h_.data());
  add_inplace(x_.data(), h_.data(), n * embd);
}

void LlamaModel::ffn_sublayer(const Chunk& c, int32_t l) {
  const auto& hp = w_.hp;
  const LayerWeights& L = w_.layers[static_cast<size_t>(l)];
  const int64_t n = c.n, embd = hp.n_embd;
  Backend& be = *backend_;
  be.rms_norm(x_.data(), L.ffn_norm.data(), h_.data(), n, embd, hp.rms_norm_eps);
  const MatmulTarget gate_up[] = {{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}};
  be.matmuls(h_.data(), n, gate_up);
  be.swiglu(gate_.data(), up_.data(), gate_.data(), n * hp.n_ff);
  be.matmul(gate_.data(), n, L.w_down, h_.data());
  add_inplace(x_.data(), h_.data(), n * embd);
}

// The final norm and the vocabulary projection of the rows the request asks for (every row, or the
// request's last token in its last chunk), and the final hidden state when that is the layer asked for.
void LlamaModel::output_head(const Chunk& c, ForwardResult& res) {
  const auto& hp = w_.hp;
  const ForwardRequest& req = c.req;
  const int64_t n = c.n, embd = hp.n_embd, vocab = hp.n_vocab;
  Backend& be = *backend_;
  const bool last_chunk = c.c1 == static_cast<int64_t>(req.tokens.size());
  const bool want_hidden_final = req.on_hidden && req.hidden_layer == static_cast<int32_t>(hp.n_layer);
  if (req.logits == LogitsMode::All || want_hidden_final) {
    be.rms_norm(x_.data(), w_.output_norm.data(), h_.data(), n, embd, hp.rms_norm_eps);
    if (want_hidden_final) req.on_hidden(c.c0, n, h_.data());
    if (req.logits == LogitsMode::All) {
      float* dst = res.logits.empty() ? (logits_.resize(static_cast<size_t>(n * vocab)), logits_.data())
                                      : res.logits.data() + c.c0 * vocab;
      be.matmul(h_.data(), n, w_.output, dst);
      if (req.on_logits) req.on_logits(c.c0, n, dst);
    }
  }
  if (req.logits == LogitsMode::Last && last_chunk) {
    be.rms_norm(x_.data() + (n - 1) * embd, w_.output_norm.data(), h_.data(), 1, embd, hp.rms_norm_eps);
    res.logits.resize(static_cast<size_t>(vocab));
    be.matmul(h_.data(), 1, w_.output, res.logits.data());
    res.n_rows = 1;
  }
}

}  // namespace dbsa
