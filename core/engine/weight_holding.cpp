#include "engine/weight_holding.h"

#include <cstdio>
#include <map>
#include <tuple>

namespace dbsa {

WeightHolding describe_holding(const ModelWeights& w, const void* file_owner, QuantKernels kernels) {
  WeightHolding h;
  std::map<std::tuple<std::string, std::string, bool>, HeldMatrices> groups;
  std::map<std::string, std::string> isa;
  for (const WeightMatrix* m : w.matrices()) {
    const bool in_place = held_in_place(*m, file_owner);
    (in_place ? h.mapped_bytes : h.copied_bytes) += m->bytes();
    const std::string from(ggml_type_name(m->file_type)), as(weight_type_name(m->type));
    HeldMatrices& g = groups[{from, as, in_place}];
    g.file_type = from;
    g.held_as = as;
    g.in_place = in_place;
    ++g.count;
    g.bytes += m->bytes();
    if (is_quantized(m->type)) isa[as] = isa_name(kernel_isa(m->type, kernels));
  }
  for (auto& [key, g] : groups) h.groups.push_back(g);
  h.kernels.assign(isa.begin(), isa.end());
  return h;
}

std::string held_summary(const WeightHolding& h) {
  std::string out;
  for (const HeldMatrices& g : h.groups) {
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MiB", static_cast<double>(g.bytes) / (1024.0 * 1024.0));
    out += (out.empty() ? "" : "; ") + g.file_type +
           (g.file_type == g.held_as ? (g.held_as.rfind('F', 0) == 0 ? "" : " in its blocks")
                                     : " as " + g.held_as) +
           " ×" + std::to_string(g.count) + " (" + (g.in_place ? "mapped" : "copied at load") + ", " + size +
           ")";
  }
  return out;
}

std::string kernels_summary(const WeightHolding& h) {
  std::string out;
  for (const auto& [type, isa] : h.kernels) out += (out.empty() ? "" : ", ") + type + " " + isa;
  return out;
}

}  // namespace dbsa
