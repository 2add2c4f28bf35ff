#include "method/pre_encoder.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace dbsa {
namespace {

using Clock = std::chrono::steady_clock;

void check_blocks_nonempty(std::span<const std::vector<int32_t>> blocks, int32_t first_index) {
  if (blocks.empty()) throw std::invalid_argument("pre-encode: no blocks to encode");
  for (size_t b = 0; b < blocks.size(); ++b)
    if (blocks[b].empty())
      throw std::invalid_argument("pre-encode: block " +
                                  std::to_string(first_index + static_cast<int64_t>(b)) + " has no tokens");
}

// Runs new tokens [q0, q1) through the model into `cache` with the chunk's layout (no logits).
void forward_chunk(LlamaModel& model, KvCache& cache, std::span<const int32_t> tokens,
                   std::span<const int32_t> positions, int64_t q0, int64_t q1, const AttentionLayout& layout,
                   int64_t ubatch) {
  ForwardRequest req;
  req.tokens = tokens.subspan(static_cast<size_t>(q0), static_cast<size_t>(q1 - q0));
  req.positions = positions.subspan(static_cast<size_t>(q0), static_cast<size_t>(q1 - q0));
  req.layout = &layout;
  req.logits = LogitsMode::None;
  req.ubatch = ubatch;
  model.forward(cache, req);
}

// Feeds tokens [0, n) through the model in chunks of the layout, calling after_chunk(q_end) after each;
// stops (returns false) when after_chunk says so.
bool run_chunks(LlamaModel& model, KvCache& cache, std::span<const int32_t> tokens,
                std::span<const int32_t> positions, const AttentionLayout& layout, int64_t chunk_tokens,
                const std::function<bool(int64_t)>& after_chunk) {
  const auto n = static_cast<int64_t>(tokens.size());
  const int64_t step = std::max<int64_t>(1, chunk_tokens);
  for (int64_t q0 = 0; q0 < n; q0 += step) {
    const int64_t q1 = std::min(n, q0 + step);
    forward_chunk(model, cache, tokens, positions, q0, q1, layout.slice(q0, q1), step);
    if (!after_chunk(q1)) return false;
  }
  return true;
}

std::vector<int32_t> flatten(std::span<const std::vector<int32_t>> blocks) {
  std::vector<int32_t> all;
  for (const auto& b : blocks) all.insert(all.end(), b.begin(), b.end());
  return all;
}

std::vector<int32_t> iota_positions(int64_t first, int64_t n) {
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = static_cast<int32_t>(first + i);
  return p;
}

// Declares the blocks in the writer, checking that the catalog's tokens are the encoded ones.
void declare_blocks(CacheWriter& writer, std::span<const std::vector<int32_t>> blocks,
                    std::vector<BlockContent>& contents, int32_t first_index) {
  if (contents.size() != blocks.size())
    throw std::invalid_argument("pre-encode: " + std::to_string(contents.size()) + " block contents for " +
                                std::to_string(blocks.size()) + " blocks");
  for (size_t b = 0; b < blocks.size(); ++b) {
    if (contents[b].token_ids != blocks[b])
      throw std::invalid_argument("pre-encode: the catalog tokens of block " +
                                  std::to_string(first_index + static_cast<int64_t>(b)) +
                                  " differ from the tokens being encoded");
    const int32_t got = writer.add_block(std::move(contents[b]));
    if (got != first_index + static_cast<int32_t>(b))
      throw std::logic_error("pre-encode: the cache writer numbered block " + std::to_string(got) +
                             ", expected " + std::to_string(first_index + static_cast<int64_t>(b)));
  }
}

std::function<bool(int64_t)> progress_adapter(const PreEncodeOptions& opts, int64_t n,
                                              const std::function<void(int64_t)>& also) {
  return [&opts, n, also](int64_t q_end) {
    if (also) also(q_end);
    return !opts.progress || opts.progress(static_cast<double>(q_end) / static_cast<double>(n));
  };
}

}  // namespace

std::vector<int64_t> block_starts_of(std::span<const std::vector<int32_t>> blocks) {
  std::vector<int64_t> s{0};
  for (const auto& b : blocks) s.push_back(s.back() + static_cast<int64_t>(b.size()));
  return s;
}

KvCache pre_encode_kv(LlamaModel& model, std::span<const std::vector<int32_t>> blocks,
                      const BlockLayout& pattern, const PreEncodeOptions& opts, PreEncodeStats* stats) {
  check_blocks_nonempty(blocks, 0);
  const auto t0 = Clock::now();
  const auto starts = block_starts_of(blocks);
  const int64_t n = starts.back();
  const auto tokens = flatten(blocks);
  const auto positions = iota_positions(0, n);
  const AttentionLayout layout = AttentionLayout::block_sparse(starts, pattern);
  KvCache cache = model.make_cache(n, KeyStorage::PreRope);
  const bool done =
      run_chunks(model, cache, tokens, positions, layout, opts.chunk_tokens, progress_adapter(opts, n, {}));
  if (stats) {
    stats->cancelled = !done;
    stats->tokens_computed = cache.size();
    stats->visible_pairs = layout.visible_pairs();
    stats->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  if (!done) cache.clear();
  return cache;
}

namespace {

using BlockSink = std::function<void(int32_t block, const KvCache& cache, int64_t first_row)>;

// Hands each finished block's K/V of every layer to the cache writer.
BlockSink write_to(CacheWriter& writer) {
  return [&writer](int32_t b, const KvCache& cache, int64_t row) {
    for (int32_t l = 0; l < cache.n_layer(); ++l) writer.put_layer(b, l, cache.k(l, row), cache.v(l, row));
  };
}

// Encodes `blocks` as pool blocks first_block, first_block + 1, ... at positions from first_position,
// after the context blocks whose rows fill `cache` (ctx: their pool indices, ascending; ctx_sizes: their
// token counts). A block's rows leave the cache once no later token sees them (the sinks stay, the
// P-block window moves forward). Each block's keys are the ranges of the whole-pool layout
// (AttentionLayout::block_sparse: visible blocks, neighbours in the pool merged into one range) in cache
// rows, so a fresh pool encodes exactly as in one whole-pool pass.
PreEncodeStats encode_window(LlamaModel& model, KvCache& cache, std::span<const int32_t> ctx,
                             std::span<const int64_t> ctx_sizes, int32_t first_block, int64_t first_position,
                             std::span<const std::vector<int32_t>> blocks, const BlockLayout& pattern,
                             const PreEncodeOptions& opts, const BlockSink& on_block) {
  const auto starts = block_starts_of(blocks);
  const auto n_new = static_cast<int64_t>(blocks.size());
  const int64_t n_all = first_block + n_new;
  const int64_t n = starts.back();
  const auto tokens = flatten(blocks);
  const auto positions = iota_positions(first_position, n);
  const int64_t step = std::max<int64_t>(1, opts.chunk_tokens);
  std::vector<int64_t> row_of(static_cast<size_t>(n_all), -1), size_of(static_cast<size_t>(n_all), 0);
  std::vector<int32_t> resident(ctx.begin(), ctx.end());  // blocks with rows in the cache, ascending
  int64_t row = 0;
  for (size_t j = 0; j < ctx.size(); ++j) {
    row_of[static_cast<size_t>(ctx[j])] = row;
    size_of[static_cast<size_t>(ctx[j])] = ctx_sizes[j];
    row += ctx_sizes[j];
  }
  if (row != cache.size()) throw std::logic_error("pre-encode: the context rows do not fill the cache");
  for (int64_t i = 0; i < n_new; ++i)
    size_of[static_cast<size_t>(first_block + i)] =
        static_cast<int64_t>(blocks[static_cast<size_t>(i)].size());
  const auto new_block_of = [&](int64_t token) {  // pool index of the new block holding a new token
    return first_block +
           static_cast<int64_t>(std::upper_bound(starts.begin(), starts.end(), token) - starts.begin()) - 1;
  };
  PreEncodeStats st;
  st.context_tokens = cache.size();
  int64_t next_done = first_block;
  for (int64_t q0 = 0; q0 < n; q0 += step) {
    const int64_t q1 = std::min(n, q0 + step);
    const int64_t g0 = new_block_of(q0), g1 = new_block_of(q1 - 1);
    // A block no token of g0 sees is seen by no later token either: drop its rows.
    for (size_t i = resident.size(); i-- > 0;) {
      const int32_t c = resident[i];
      if (c >= g0 || pattern.sees(g0, c)) continue;
      const int64_t first = row_of[static_cast<size_t>(c)], len = size_of[static_cast<size_t>(c)];
      cache.erase_rows(first, first + len);
      row_of[static_cast<size_t>(c)] = -1;
      for (size_t k = i + 1; k < resident.size(); ++k) row_of[static_cast<size_t>(resident[k])] -= len;
      resident.erase(resident.begin() + static_cast<std::ptrdiff_t>(i));
    }
    // New blocks sit contiguously from g0's first row (g0 may have begun in an earlier chunk).
    const int64_t g0_start = starts[static_cast<size_t>(g0 - first_block)];
    const int64_t base = cache.size() - (q0 - g0_start);
    for (int64_t g = g0; g <= g1; ++g)
      if (row_of[static_cast<size_t>(g)] < 0) {
        row_of[static_cast<size_t>(g)] = base + starts[static_cast<size_t>(g - first_block)] - g0_start;
        resident.push_back(static_cast<int32_t>(g));
      }
    AttentionLayout layout;
    layout.n_queries = q1 - q0;
    layout.query_kv_offset = cache.size();
    const int64_t kv_end = cache.size() + (q1 - q0);
    for (int64_t g = g0; g <= g1; ++g) {
      const auto i = static_cast<size_t>(g - first_block);
      AttentionTile t{std::max(q0, starts[i]) - q0, std::min(q1, starts[i + 1]) - q0, {}};
      int64_t prev_c = -2;
      for (const int32_t c : resident) {
        if (!pattern.sees(g, c)) continue;
        const int64_t b = row_of[static_cast<size_t>(c)];
        const int64_t e = std::min(b + size_of[static_cast<size_t>(c)], kv_end);
        if (c == prev_c + 1 && !t.ranges.empty() && t.ranges.back().end == b)
          t.ranges.back().end = e;
        else
          t.ranges.push_back({b, e});
        prev_c = c;
      }
      layout.tiles.push_back(std::move(t));
    }
    st.visible_pairs += layout.visible_pairs();
    forward_chunk(model, cache, tokens, positions, q0, q1, layout, step);
    st.tokens_computed = q1;
    for (; next_done < n_all && starts[static_cast<size_t>(next_done - first_block) + 1] <= q1; ++next_done)
      on_block(static_cast<int32_t>(next_done), cache, row_of[static_cast<size_t>(next_done)]);
    if (opts.progress && !opts.progress(static_cast<double>(q1) / static_cast<double>(n))) {
      st.cancelled = true;
      break;
    }
  }
  return st;
}

// Rows a window holds at most: the context, the S + P + 1 largest blocks and a chunk (blocks are ragged).
int64_t window_rows(std::span<const std::vector<int32_t>> blocks, const BlockLayout& pattern,
                    int64_t chunk_tokens) {
  std::vector<int64_t> sizes;
  int64_t total = 0;
  for (const auto& b : blocks) {
    sizes.push_back(static_cast<int64_t>(b.size()));
    total += static_cast<int64_t>(b.size());
  }
  if (pattern.is_dense()) return total;
  std::sort(sizes.rbegin(), sizes.rend());
  int64_t rows = std::max<int64_t>(1, chunk_tokens);
  const auto keep = std::min<int64_t>(static_cast<int64_t>(sizes.size()), pattern.max_visible_blocks());
  for (int64_t i = 0; i < keep; ++i) rows += sizes[static_cast<size_t>(i)];
  return std::min(total, rows);
}

}  // namespace

PreEncodeStats pre_encode_windowed(LlamaModel& model, std::span<const std::vector<int32_t>> blocks,
                                   const BlockLayout& pattern, const PreEncodeOptions& opts,
                                   const BlockSink& on_block) {
  check_blocks_nonempty(blocks, 0);
  pattern.validate();
  const auto t0 = Clock::now();
  KvCache cache = model.make_cache(window_rows(blocks, pattern, opts.chunk_tokens), KeyStorage::PreRope);
  PreEncodeStats st = encode_window(model, cache, {}, {}, 0, 0, blocks, pattern, opts, on_block);
  st.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return st;
}

PreEncodeStats pre_encode(LlamaModel& model, std::span<const std::vector<int32_t>> blocks,
                          std::vector<BlockContent> contents, CacheWriter& writer,
                          const PreEncodeOptions& opts) {
  check_blocks_nonempty(blocks, 0);
  if (writer.first_new_block() != 0 || writer.n_new_blocks() != 0)
    throw std::invalid_argument("pre-encode: the cache writer must be a fresh create(), not an append");
  const auto t0 = Clock::now();
  declare_blocks(writer, blocks, contents, 0);
  PreEncodeStats st = pre_encode_windowed(model, blocks, writer.key().pattern, opts, write_to(writer));
  st.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return st;
}

std::vector<int32_t> append_context_blocks(int32_t n_existing, int32_t n_new, const BlockLayout& pattern) {
  std::vector<int32_t> ctx;
  for (int32_t c = 0; c < n_existing; ++c) {
    bool needed = false;
    for (int32_t b = n_existing; b < n_existing + n_new && !needed; ++b) needed = pattern.sees(b, c);
    if (needed) ctx.push_back(c);
  }
  return ctx;
}

PreEncodeStats pre_encode_append(LlamaModel& model, const BlockCache& existing,
                                 std::span<const std::vector<int32_t>> new_blocks,
                                 std::vector<BlockContent> contents, CacheWriter& writer,
                                 const PreEncodeOptions& opts) {
  const int32_t n_old = existing.n_blocks();
  check_blocks_nonempty(new_blocks, n_old);
  // The new blocks see the old ones by the pattern the cache was built with: one S/P, the key's.
  const BlockLayout& pattern = existing.meta().key.pattern;
  if (writer.first_new_block() != n_old || writer.n_new_blocks() != 0)
    throw std::invalid_argument("pre-encode append: the writer's next block is " +
                                std::to_string(writer.first_new_block() + writer.n_new_blocks()) +
                                ", the cache holds " + std::to_string(n_old) + " blocks");
  const auto& hp = model.hparams();
  const KvShape& shape = existing.shape();
  if (shape.n_layer != static_cast<int32_t>(hp.n_layer) ||
      shape.n_head_kv != static_cast<int32_t>(hp.n_head_kv) ||
      shape.head_dim != static_cast<int32_t>(hp.head_dim))
    throw std::invalid_argument("pre-encode append: the cache in " + existing.dir().string() +
                                " holds K/V of another model shape");
  const auto t0 = Clock::now();
  declare_blocks(writer, new_blocks, contents, n_old);

  // Original positions of the existing blocks: the pool is contiguous from 0.
  std::vector<int64_t> old_start{0};
  for (const auto& r : existing.blocks()) old_start.push_back(old_start.back() + r.n_tokens());
  const auto ctx = append_context_blocks(n_old, static_cast<int32_t>(new_blocks.size()), pattern);
  std::vector<int64_t> ctx_tokens;
  std::vector<int32_t> positions;
  for (const int32_t c : ctx) {
    ctx_tokens.push_back(existing.block(c).n_tokens());
    for (int64_t p = old_start[static_cast<size_t>(c)]; p < old_start[static_cast<size_t>(c) + 1]; ++p)
      positions.push_back(static_cast<int32_t>(p));
  }
  const auto n_ctx = static_cast<int64_t>(positions.size());
  KvCache cache = model.make_cache(n_ctx, KeyStorage::PreRope);
  if (!ctx.empty()) {  // S = P = 0: the new blocks see only themselves
    cache.append(positions);
    for (int32_t l = 0; l < cache.n_layer(); ++l) existing.assemble(ctx, l, cache.k(l, 0), cache.v(l, 0));
  }

  cache.reserve(n_ctx + window_rows(new_blocks, pattern, opts.chunk_tokens));
  PreEncodeStats st = encode_window(model, cache, ctx, ctx_tokens, n_old, old_start.back(), new_blocks,
                                    pattern, opts, write_to(writer));
  st.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return st;
}

}  // namespace dbsa
