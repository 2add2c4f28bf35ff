#include "eval/pool_draw.h"

#include "icl/pool.h"
#include "icl/pool_source.h"

namespace dbsa {

PoolDraw draw_and_group(const EvalInputs& in, const EvalConfig& c, uint64_t seed) {
  PoolDraw d;
  d.demos =
      draw_pool(in.dataset.train, static_cast<size_t>(c.blocks) * static_cast<size_t>(c.block_demos), seed)
          .demos;
  d.blocks =
      group_pool(d.demos, in.dataset.prompt, *in.tok, c.grouping, static_cast<size_t>(c.block_demos), seed);
  return d;
}

}  // namespace dbsa
