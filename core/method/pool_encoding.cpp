#include "method/pool_encoding.h"

#include "method/model_identity.h"

namespace dbsa {

PoolEncoding encode_pool(LlamaModel& model, const Tokenizer& tok, const CacheStore& store,
                         const PoolCacheSpec& spec, const LoadedPool& pool, const Blocks& blocks,
                         PreEncodeOptions opts) {
  CacheManifest man = model_manifest(spec.model_path, spec.model_fingerprint, model.weights(), tok);
  man.dataset = pool.dataset;
  man.seed = spec.seed;
  man.prompt = pool.prompt;
  man.labels = pool.labels;
  opts.sink_blocks = spec.layout.sink_blocks;
  opts.prev_blocks = spec.layout.prev_blocks;
  PoolEncoding out;
  out.key = block_cache_key(man, pool.demos, spec.layout);
  out.build = build_block_cache(model, tok, store, out.key, man, pool.demos, blocks, opts);
  return out;
}

}  // namespace dbsa
