#include "engine/forward_request.h"

#include <stdexcept>
#include <string>

namespace dbsa {

std::span<const int32_t> request_positions(const ForwardRequest& req, std::optional<int32_t> last_position,
                                           std::vector<int32_t>& storage, std::string_view who) {
  const auto n = static_cast<int64_t>(req.tokens.size());
  if (!req.positions.empty()) {
    if (static_cast<int64_t>(req.positions.size()) != n)
      throw std::invalid_argument(std::string(who) + ": " + std::to_string(req.positions.size()) +
                                  " positions for " + std::to_string(n) + " tokens");
    return req.positions;
  }
  const int32_t start = last_position ? *last_position + 1 : 0;
  storage.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) storage[static_cast<size_t>(i)] = start + static_cast<int32_t>(i);
  return storage;
}

void check_request_layout(const ForwardRequest& req, int64_t n_past, std::string_view who) {
  if (!req.layout) return;
  const auto n = static_cast<int64_t>(req.tokens.size());
  if (req.layout->n_queries != n || req.layout->query_kv_offset != n_past)
    throw std::invalid_argument(std::string(who) + ": the attention layout is for " +
                                std::to_string(req.layout->n_queries) + " queries at KV offset " +
                                std::to_string(req.layout->query_kv_offset) + ", the request has " +
                                std::to_string(n) + " tokens after " + std::to_string(n_past) + " cached");
  req.layout->validate(n_past + n);
}

}  // namespace dbsa
