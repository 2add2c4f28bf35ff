// `full-icl`: the same blocks pre-encoded with dense causal attention (S = P = all) and every block
// attended in pool order — the whole pool as one dense prompt, served by the same store and query path
// as dbsa, so the two differ only in the attention pattern and the selection.
#include "method/method_factories.h"

namespace dbsa {

std::unique_ptr<Method> make_full_icl_method(MethodInputs in) {
  in.layout = method_cache_layout("full-icl", in.layout);
  in.query.n_select = kAllBlocks;
  in.query.order = BlockOrder::InOrder;
  return make_block_cache_method("full-icl", std::move(in));
}

}  // namespace dbsa
