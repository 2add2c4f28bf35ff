#include "method/cache_builder.h"

#include <optional>
#include <stdexcept>

#include "cache/cache_error.h"
#include "cache/cache_index.h"
#include "cache/fingerprint.h"
#include "icl/block_text.h"
#include "icl/block_tokens.h"
#include "icl/pool.h"
#include "method/pool_context_check.h"
#include "retrieval/bm25_retriever.h"

namespace dbsa {
namespace {

std::vector<BlockContent> block_contents(const std::vector<Example>& demos, const Blocks& blocks,
                                         const std::vector<std::string>& texts,
                                         const std::vector<std::vector<TokenId>>& tokens,
                                         int64_t first_demo_id) {
  std::vector<BlockContent> out;
  for (size_t b = 0; b < blocks.size(); ++b) {
    BlockContent c;
    for (const size_t i : blocks[b]) {
      c.demo_ids.push_back(first_demo_id + static_cast<int64_t>(i));
      c.labels.push_back(demos[i].label);
    }
    c.token_ids = tokens[b];
    c.text = texts[b];
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

CacheKey block_cache_key(const CacheManifest& manifest, const std::vector<Example>& demos,
                         const CacheLayoutSpec& spec) {
  CacheKey k;
  k.model_fingerprint = manifest.model_fingerprint;
  k.tokenizer_fingerprint = manifest.tokenizer_fingerprint;
  Fingerprint fp;
  fp.add("dbsa-pool-1")
      .add(fingerprint_hex(pool_fingerprint(demos)))
      .add_int(static_cast<int64_t>(manifest.seed));
  fp.add(manifest.prompt.x_prefix).add(manifest.prompt.y_prefix);
  // The label set is not in the K/V, but a reused cache brings its manifest's labels to every query.
  fp.add_int(static_cast<int64_t>(manifest.labels.size()));
  for (const auto& l : manifest.labels) fp.add(l);
  k.pool_fingerprint = fp.hex();
  k.block_demos = spec.block_demos;
  k.grouping = spec.grouping;
  spec.pattern.validate();
  k.pattern = spec.pattern;
  k.bos = spec.bos;
  k.dtype = spec.dtype;
  return k;
}

BuildResult build_block_cache(LlamaModel& model, const Tokenizer& tok, const CacheStore& store,
                              const CacheKey& key, CacheManifest manifest, const std::vector<Example>& demos,
                              const Blocks& blocks, const PreEncodeOptions& opts, bool reuse_existing) {
  const auto reused = [&] {
    BuildResult r;
    const BlockCache c = store.open(key, VerifyMode::Lazy);
    r.dir = c.dir();
    r.reused = true;
    r.n_blocks = c.n_blocks();
    for (const auto& b : c.blocks()) r.n_tokens += b.n_tokens();
    return r;
  };
  if (reuse_existing && store.contains(key)) return reused();
  check_blocks(blocks, demos.size(), static_cast<size_t>(key.block_demos));
  const auto texts = block_texts(demos, blocks, manifest.prompt);
  const auto tokens = tokenize_blocks(tok, texts, key.bos);
  check_pool_fits(model.context_limit(), tok, manifest.prompt, demos, blocks, tokens, key.pattern);
  const auto& hp = model.hparams();
  const KvShape shape{static_cast<int32_t>(hp.n_layer), static_cast<int32_t>(hp.n_head_kv),
                      static_cast<int32_t>(hp.head_dim)};
  std::optional<CacheWriter> created;
  try {
    created.emplace(store.create(key, shape));
  } catch (const CacheExists&) {
    if (!reuse_existing) throw;
    return reused();  // another process built it while this one waited for the lock
  }
  CacheWriter& writer = *created;
  BuildResult r;
  r.stats = pre_encode(model, tokens, block_contents(demos, blocks, texts, tokens, 0), writer, opts);
  if (r.stats.cancelled) {
    r.cancelled = true;
    return r;  // the writer's destructor removes its temporary folder
  }
  manifest.n_demos = static_cast<int64_t>(demos.size());
  write_manifest(writer.work_dir(), manifest);
  write_block_bm25(writer.work_dir(), texts);
  r.dir = writer.commit();
  r.n_blocks = static_cast<int32_t>(blocks.size());
  for (const auto& t : tokens) r.n_tokens += static_cast<int64_t>(t.size());
  return r;
}

BuildResult append_block_cache(LlamaModel& model, const Tokenizer& tok, const std::filesystem::path& dir,
                               const std::vector<Example>& new_demos, const Blocks& new_blocks,
                               const PreEncodeOptions& opts, const LockWait& wait) {
  return append_block_cache(
      model, tok, dir,
      [&](const CacheManifest&, const CacheKey&) {
        return AppendRows{new_demos, new_blocks};
      },
      opts, wait);
}

BuildResult append_block_cache(LlamaModel& model, const Tokenizer& tok, const std::filesystem::path& dir,
                               const AppendSource& source, const PreEncodeOptions& opts,
                               const LockWait& wait) {
  // The writer takes the cache's lock first: the manifest, the existing blocks (whose K/V the new
  // blocks attend to) and the block count the new rows continue are all read under it.
  CacheWriter writer = CacheWriter::append(dir, nullptr, wait);
  CacheManifest manifest = read_manifest(dir);
  if (manifest.tokenizer_fingerprint != tokenizer_fingerprint(tok))
    throw std::invalid_argument(dir.string() + ": the cache was built with another tokenizer");
  const BlockCache existing = BlockCache::open(dir, nullptr, VerifyMode::Lazy);
  if (existing.n_blocks() != writer.first_new_block())
    throw CacheError("cache '" + dir.string() + "' changed while its lock was held (" +
                     std::to_string(existing.n_blocks()) + " blocks, the writer expected " +
                     std::to_string(writer.first_new_block()) + ")");
  const CacheKey key = existing.meta().key;
  const AppendRows rows = source(manifest, key);
  const std::vector<Example>& new_demos = rows.demos;
  const Blocks& new_blocks = rows.blocks;
  for (size_t i = 0; i < new_demos.size(); ++i) {
    bool known = false;
    for (const auto& l : manifest.labels) known = known || l == new_demos[i].label;
    if (!known)
      throw std::invalid_argument("append: demonstration " + std::to_string(i) + " has label '" +
                                  new_demos[i].label + "', not one of the cache's labels (" + dir.string() +
                                  "/" + kManifestFileName + ")");
  }
  check_blocks(new_blocks, new_demos.size(), static_cast<size_t>(key.block_demos));
  std::vector<std::string> texts;
  for (const auto& b : existing.blocks()) texts.push_back(b.text);
  const auto n_old = texts.size();
  const auto new_texts = block_texts(new_demos, new_blocks, manifest.prompt);
  texts.insert(texts.end(), new_texts.begin(), new_texts.end());
  std::vector<std::vector<TokenId>> tokens;
  for (size_t b = n_old; b < texts.size(); ++b)
    tokens.push_back(encode_after_separator(tok, block_segment(texts, b)));
  int64_t tokens_before = 0;
  for (const auto& b : existing.blocks()) tokens_before += b.n_tokens();
  check_pool_fits(model.context_limit(), tok, manifest.prompt, new_demos, new_blocks, tokens, key.pattern,
                  static_cast<int32_t>(n_old), tokens_before);

  BuildResult r;
  r.stats = pre_encode_append(model, existing, tokens,
                              block_contents(new_demos, new_blocks, new_texts, tokens, manifest.n_demos),
                              writer, opts);
  if (r.stats.cancelled) {
    r.cancelled = true;
    return r;
  }
  r.dir = writer.commit();
  manifest.n_demos += static_cast<int64_t>(new_demos.size());
  write_manifest(dir, manifest);
  write_block_bm25(dir, texts);
  r.n_blocks = static_cast<int32_t>(texts.size());
  for (const auto& b : existing.blocks()) r.n_tokens += b.n_tokens();
  for (const auto& t : tokens) r.n_tokens += static_cast<int64_t>(t.size());
  return r;
}

void write_block_bm25(const std::filesystem::path& dir, const std::vector<std::string>& texts) {
  write_cache_index(dir, kBm25IndexName, [&texts](const std::filesystem::path& tmp) {
    auto idx = Bm25Retriever::create_on_disk(tmp);
    for (size_t b = 0; b < texts.size(); ++b) idx->add(static_cast<DocId>(b), texts[b]);
    idx->commit();
  });  // the index is closed before the seal is written: it sees Xapian's final files
}

std::shared_ptr<const Retriever> open_block_bm25(const BlockCache& cache, std::string* note) {
  if (const auto on_disk = stored_cache_index(cache.dir(), kBm25IndexName); !on_disk.empty()) {
    std::shared_ptr<Bm25Retriever> r = Bm25Retriever::open_on_disk(on_disk);
    if (stored_index_covers(on_disk, r->size(), cache.n_blocks(), note)) return r;
  }
  std::shared_ptr<Bm25Retriever> r = Bm25Retriever::in_memory();
  for (const auto& b : cache.blocks()) r->add(b.index, b.text);
  r->commit();
  return r;
}

}  // namespace dbsa
