#include "method/pre_encoder.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace dbsa {
namespace {

using Clock = std::chrono::steady_clock;

// Whether a token of block b sees block c <= b (DESIGN.md §1); negative S/P mean "all".
bool block_visible(int64_t b, int64_t c, int32_t sink, int32_t prev) {
  return c == b || sink < 0 || c < sink || prev < 0 || c >= b - prev;
}

void check_blocks_nonempty(std::span<const std::vector<int32_t>> blocks, int32_t first_index) {
  if (blocks.empty()) throw std::invalid_argument("pre-encode: no blocks to encode");
  for (size_t b = 0; b < blocks.size(); ++b)
    if (blocks[b].empty())
      throw std::invalid_argument("pre-encode: block " +
                                  std::to_string(first_index + static_cast<int64_t>(b)) + " has no tokens");
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
    const AttentionLayout chunk = layout.slice(q0, q1);
    ForwardRequest req;
    req.tokens = tokens.subspan(static_cast<size_t>(q0), static_cast<size_t>(q1 - q0));
    req.positions = positions.subspan(static_cast<size_t>(q0), static_cast<size_t>(q1 - q0));
    req.layout = &chunk;
    req.logits = LogitsMode::None;
    req.ubatch = step;
    model.forward(cache, req);
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

// Writes every block that ends at or before q_end and was not written yet (rows offset by row0).
void flush_blocks(CacheWriter& writer, const KvCache& cache, std::span<const int64_t> starts, int64_t row0,
                  int32_t first_index, int64_t q_end, size_t& next_block) {
  while (next_block + 1 < starts.size() && starts[next_block + 1] <= q_end) {
    const int64_t r = row0 + starts[next_block];
    for (int32_t l = 0; l < cache.n_layer(); ++l)
      writer.put_layer(first_index + static_cast<int32_t>(next_block), l, cache.k(l, r), cache.v(l, r));
    ++next_block;
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
                      const PreEncodeOptions& opts, PreEncodeStats* stats) {
  check_blocks_nonempty(blocks, 0);
  const auto t0 = Clock::now();
  const auto starts = block_starts_of(blocks);
  const int64_t n = starts.back();
  const auto tokens = flatten(blocks);
  const auto positions = iota_positions(0, n);
  const AttentionLayout layout = AttentionLayout::block_sparse(starts, opts.sink_blocks, opts.prev_blocks);
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

PreEncodeStats pre_encode_windowed(
    LlamaModel& model, std::span<const std::vector<int32_t>> blocks, const PreEncodeOptions& opts,
    const std::function<void(int32_t block, const KvCache& cache, int64_t first_row)>& on_block) {
  check_blocks_nonempty(blocks, 0);
  const auto t0 = Clock::now();
  const auto starts = block_starts_of(blocks);
  const auto nb = static_cast<int64_t>(blocks.size());
  const int64_t n = starts.back();
  const auto tokens = flatten(blocks);
  const auto positions = iota_positions(0, n);
  const int64_t n_sink = opts.sink_blocks < 0 ? nb : opts.sink_blocks;
  const int64_t n_prev = opts.prev_blocks < 0 ? nb : opts.prev_blocks;
  const int64_t step = std::max<int64_t>(1, opts.chunk_tokens);
  // The largest span the cache ever holds: the sinks, P + 1 blocks and a chunk (blocks are ragged).
  std::vector<int64_t> sizes(static_cast<size_t>(nb));
  for (int64_t b = 0; b < nb; ++b)
    sizes[static_cast<size_t>(b)] = starts[static_cast<size_t>(b) + 1] - starts[static_cast<size_t>(b)];
  std::vector<int64_t> by_size = sizes;
  std::sort(by_size.rbegin(), by_size.rend());
  int64_t window = step;
  for (int64_t i = 0; i < std::min<int64_t>(nb, n_sink + n_prev + 1); ++i)
    window += by_size[static_cast<size_t>(i)];
  KvCache cache = model.make_cache(std::min(n, window), KeyStorage::PreRope);

  // Blocks whose rows are in the cache, in block order, and the first row of each (-1: not there).
  std::vector<int64_t> row_of(static_cast<size_t>(nb), -1);
  std::vector<int32_t> resident;
  int64_t next_flush = 0;
  PreEncodeStats st;
  const auto block_of = [&](int64_t token) {
    return static_cast<int64_t>(std::upper_bound(starts.begin(), starts.end(), token) - starts.begin()) - 1;
  };
  for (int64_t q0 = 0; q0 < n; q0 += step) {
    const int64_t q1 = std::min(n, q0 + step);
    const int64_t b0 = block_of(q0), b1 = block_of(q1 - 1);
    // A block no token of b0 sees is seen by no later token either (the sinks stay, the previous-block
    // window only moves forward): drop it.
    for (size_t i = resident.size(); i-- > 0;) {
      const int32_t c = resident[i];
      if (c >= b0 || block_visible(b0, c, opts.sink_blocks, opts.prev_blocks)) continue;
      const int64_t first = row_of[static_cast<size_t>(c)], len = sizes[static_cast<size_t>(c)];
      cache.erase_rows(first, first + len);
      row_of[static_cast<size_t>(c)] = -1;
      for (size_t j = i + 1; j < resident.size(); ++j) row_of[static_cast<size_t>(resident[j])] -= len;
      resident.erase(resident.begin() + static_cast<std::ptrdiff_t>(i));
    }
    // Blocks from b0 on sit contiguously from b0's first row (b0 may have begun in an earlier chunk).
    const int64_t base = cache.size() - (q0 - starts[static_cast<size_t>(b0)]);
    for (int64_t b = b0; b <= b1; ++b)
      if (row_of[static_cast<size_t>(b)] < 0) {
        row_of[static_cast<size_t>(b)] =
            base + starts[static_cast<size_t>(b)] - starts[static_cast<size_t>(b0)];
        resident.push_back(static_cast<int32_t>(b));
      }
    // The whole-pool layout's ranges (AttentionLayout::block_sparse) in cache rows, clipped to the chunk.
    AttentionLayout layout;
    layout.n_queries = q1 - q0;
    layout.query_kv_offset = cache.size();
    const int64_t kv_end = cache.size() + (q1 - q0);
    const auto row_end = [&](int64_t b) {
      return row_of[static_cast<size_t>(b)] + sizes[static_cast<size_t>(b)];
    };
    for (int64_t b = b0; b <= b1; ++b) {
      AttentionTile t{std::max(q0, starts[static_cast<size_t>(b)]) - q0,
                      std::min(q1, starts[static_cast<size_t>(b) + 1]) - q0,
                      {}};
      const int64_t sink_end_block = std::min(n_sink, b);
      const int64_t local_first = std::max<int64_t>(0, b - n_prev);
      if (sink_end_block >= local_first) {
        t.ranges.push_back({row_of[0], std::min(row_end(b), kv_end)});
      } else {
        if (sink_end_block > 0) t.ranges.push_back({row_of[0], row_end(sink_end_block - 1)});
        t.ranges.push_back({row_of[static_cast<size_t>(local_first)], std::min(row_end(b), kv_end)});
      }
      layout.tiles.push_back(std::move(t));
    }
    ForwardRequest req;
    req.tokens =
        std::span<const int32_t>(tokens).subspan(static_cast<size_t>(q0), static_cast<size_t>(q1 - q0));
    req.positions =
        std::span<const int32_t>(positions).subspan(static_cast<size_t>(q0), static_cast<size_t>(q1 - q0));
    req.layout = &layout;
    req.logits = LogitsMode::None;
    req.ubatch = step;
    model.forward(cache, req);
    for (; next_flush < nb && starts[static_cast<size_t>(next_flush) + 1] <= q1; ++next_flush)
      on_block(static_cast<int32_t>(next_flush), cache, row_of[static_cast<size_t>(next_flush)]);
    st.tokens_computed = q1;
    if (opts.progress && !opts.progress(static_cast<double>(q1) / static_cast<double>(n))) {
      st.cancelled = true;
      break;
    }
  }
  st.visible_pairs =
      AttentionLayout::block_sparse(starts, opts.sink_blocks, opts.prev_blocks).visible_pairs();
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
  PreEncodeStats st =
      pre_encode_windowed(model, blocks, opts, [&](int32_t b, const KvCache& cache, int64_t row) {
        for (int32_t l = 0; l < cache.n_layer(); ++l)
          writer.put_layer(b, l, cache.k(l, row), cache.v(l, row));
      });
  st.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return st;
}

std::vector<int32_t> append_context_blocks(int32_t n_existing, int32_t n_new, int32_t sink_blocks,
                                           int32_t prev_blocks) {
  std::vector<int32_t> ctx;
  for (int32_t c = 0; c < n_existing; ++c) {
    bool needed = false;
    for (int32_t b = n_existing; b < n_existing + n_new && !needed; ++b)
      needed = block_visible(b, c, sink_blocks, prev_blocks);
    if (needed) ctx.push_back(c);
  }
  return ctx;
}

AttentionLayout append_layout(int32_t n_existing, std::span<const int32_t> context,
                              std::span<const int64_t> context_tokens, std::span<const int64_t> new_starts,
                              int32_t sink_blocks, int32_t prev_blocks) {
  if (context.size() != context_tokens.size())
    throw std::invalid_argument("append layout: one token count per context block");
  if (new_starts.size() < 2 || new_starts.front() != 0)
    throw std::invalid_argument(
        "append layout: new block starts must begin at 0 and hold at least one block");
  std::vector<int64_t> ctx_start{0};
  for (const int64_t t : context_tokens) ctx_start.push_back(ctx_start.back() + t);
  const int64_t n_ctx = ctx_start.back();
  AttentionLayout L;
  L.n_queries = new_starts.back();
  L.query_kv_offset = n_ctx;
  const auto add = [](std::vector<KvRange>& rs, int64_t b, int64_t e) {
    if (!rs.empty() && rs.back().end == b)
      rs.back().end = e;
    else
      rs.push_back({b, e});
  };
  for (size_t i = 0; i + 1 < new_starts.size(); ++i) {
    const int64_t b = n_existing + static_cast<int64_t>(i);
    AttentionTile t{new_starts[i], new_starts[i + 1], {}};
    for (size_t j = 0; j < context.size(); ++j)
      if (block_visible(b, context[j], sink_blocks, prev_blocks))
        add(t.ranges, ctx_start[j], ctx_start[j + 1]);
    for (size_t j = 0; j <= i; ++j)
      if (block_visible(b, n_existing + static_cast<int64_t>(j), sink_blocks, prev_blocks))
        add(t.ranges, n_ctx + new_starts[j], n_ctx + new_starts[j + 1]);
    L.tiles.push_back(std::move(t));
  }
  return L;
}

PreEncodeStats pre_encode_append(LlamaModel& model, const BlockCache& existing,
                                 std::span<const std::vector<int32_t>> new_blocks,
                                 std::vector<BlockContent> contents, CacheWriter& writer,
                                 const PreEncodeOptions& opts) {
  const int32_t n_old = existing.n_blocks();
  check_blocks_nonempty(new_blocks, n_old);
  const CacheKey& key = existing.meta().key;
  if (key.sink_blocks != opts.sink_blocks || key.prev_blocks != opts.prev_blocks)
    throw std::invalid_argument("pre-encode append: the cache in " + existing.dir().string() +
                                " was built with S=" + std::to_string(key.sink_blocks) +
                                " P=" + std::to_string(key.prev_blocks) + ", the append asks for S=" +
                                std::to_string(opts.sink_blocks) + " P=" + std::to_string(opts.prev_blocks));
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
  const auto ctx = append_context_blocks(n_old, static_cast<int32_t>(new_blocks.size()), opts.sink_blocks,
                                         opts.prev_blocks);
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

  const auto starts = block_starts_of(new_blocks);
  const int64_t n = starts.back();
  const auto tokens = flatten(new_blocks);
  const auto new_pos = iota_positions(old_start.back(), n);
  const AttentionLayout layout =
      append_layout(n_old, ctx, ctx_tokens, starts, opts.sink_blocks, opts.prev_blocks);
  cache.reserve(n_ctx + n);
  size_t next_block = 0;
  const auto flush = [&](int64_t q_end) {
    flush_blocks(writer, cache, starts, n_ctx, n_old, q_end, next_block);
  };
  PreEncodeStats st;
  st.cancelled =
      !run_chunks(model, cache, tokens, new_pos, layout, opts.chunk_tokens, progress_adapter(opts, n, flush));
  st.tokens_computed = cache.size() - n_ctx;
  st.context_tokens = n_ctx;
  st.visible_pairs = layout.visible_pairs();
  st.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return st;
}

}  // namespace dbsa
