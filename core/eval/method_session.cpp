#include "eval/method_session.h"

#include <chrono>

#include "cache/cache_store.h"
#include "eval/eval_config.h"
#include "method/method.h"
#include "method/query.h"

namespace dbsa {

MethodSession::MethodSession(const std::string& method, SessionInputs in) {
  MethodInputs mi;
  mi.model = in.model;
  mi.tok = in.tok;
  mi.manifest = std::move(in.manifest);
  mi.demos = std::move(in.demos);
  mi.blocks = std::move(in.blocks);
  mi.layout = in.layout;
  mi.cache_root = in.cache_root;
  mi.cache_lock_wait = in.cache_lock_wait;
  mi.query.n_select = in.select;
  mi.query.order = parse_block_order(in.order);
  mi.chunk_tokens = in.chunk_tokens;
  if (const auto key = method_cache_key(method, mi)) cache_hit_ = CacheStore(mi.cache_root).contains(*key);
  method_ = make_method(method, std::move(mi));
}

MethodSession::~MethodSession() = default;

bool MethodSession::setup(const Progress& progress) {
  const bool ok = method_->setup(progress);
  cache_hit_ = cache_hit_ || (ok && method_->reused_cache());
  return ok;
}
double MethodSession::setup_seconds() const {
  return method_->setup_seconds();
}
uint64_t MethodSession::kv_bytes() const {
  return method_->kv_bytes();
}

QueryRow MethodSession::predict(const std::string& text) {
  const auto t0 = std::chrono::steady_clock::now();
  const Prediction p = method_->predict(text);
  QueryRow r;
  r.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.prediction = p.label;
  for (const auto& b : p.blocks) {
    r.selected_blocks.push_back(b.block);
    r.block_scores.push_back(b.score);
  }
  for (const auto& d : p.demos) {
    r.demo_ids.push_back(d.demo_id);
    r.demo_scores.push_back(d.score);
  }
  r.n_tokens_attended = p.context_tokens;
  r.retrieval_seconds = p.timings.retrieval_s;
  r.assembly_seconds = p.timings.assembly_s;
  r.forward_seconds = p.timings.forward_s;
  r.decode_seconds = p.timings.decode_s;
  return r;
}

}  // namespace dbsa
