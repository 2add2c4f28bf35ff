#include "method/pool_encoding.h"

#include <stdexcept>

#include "icl/pool.h"
#include "method/model_identity.h"

namespace dbsa {

PoolEncoding encode_pool(LlamaModel& model, const Tokenizer& tok, const CacheStore& store,
                         const PoolCacheSpec& spec, const LoadedPool& pool, const Blocks& blocks,
                         const PreEncodeOptions& opts) {
  CacheManifest man = model_manifest(spec.model_path, spec.model_fingerprint, model.weights(), tok);
  man.dataset = pool.dataset;
  man.seed = spec.seed;
  man.prompt = pool.prompt;
  man.labels = pool.labels;
  PoolEncoding out;
  out.key = block_cache_key(man, pool.demos, spec.layout);
  out.build = build_block_cache(model, tok, store, out.key, man, pool.demos, blocks, opts);
  return out;
}

PoolAppend append_pool_file(LlamaModel& model, const Tokenizer& tok, const std::filesystem::path& dir,
                            const std::string& model_fp, const std::filesystem::path& pool_file,
                            bool skip_bad_rows, std::optional<uint64_t> seed, const PreEncodeOptions& opts,
                            const LockWait& wait) {
  PoolAppend out;
  const AppendSource rows = [&](const CacheManifest& man, const CacheKey& key) {
    out.key = key;
    if (file_part_of_fingerprint(key.model_fingerprint) != model_fp)
      throw std::runtime_error("append: " + dir.string() + " was built with another model (" +
                               man.model_path + ")");
    if (const std::string why = precision_mismatch(key.model_fingerprint, model_fp, model.weights());
        !why.empty())
      throw std::runtime_error("append: " + dir.string() + " was " + why);
    std::vector<std::string> labels = man.labels;
    LoadOptions lo;
    lo.skip_bad_rows = skip_bad_rows;
    AppendRows r;
    r.demos = load_pool_jsonl(pool_file, labels, lo, out.skipped);
    r.blocks = group_pool(r.demos, man.prompt, tok, key.grouping, static_cast<size_t>(key.block_demos),
                          seed.value_or(man.seed));
    return r;
  };
  out.build = append_block_cache(model, tok, dir, rows, opts, wait);
  return out;
}

}  // namespace dbsa
