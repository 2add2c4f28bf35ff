#pragma once
// Checks of a ForwardRequest shared by every implementation of the forward pass (LlamaModel on the
// CPU backend, the CUDA device-resident forward), so they accept and refuse exactly the same requests.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/forward_contract.h"

namespace dbsa {

// The tokens' RoPE positions: req.positions, or — when empty — continuing after last_position (0 for
// an empty cache). `storage` holds the continued positions when they are made up. Throws
// std::invalid_argument (prefixed with `who`) when the counts differ.
std::span<const int32_t> request_positions(const ForwardRequest& req, std::optional<int32_t> last_position,
                                           std::vector<int32_t>& storage, std::string_view who);

// Throws std::invalid_argument (prefixed with `who`) unless req.layout, when given, is for the
// request's tokens placed after n_past cached rows and valid over the KV view they extend.
void check_request_layout(const ForwardRequest& req, int64_t n_past, std::string_view who);

}  // namespace dbsa
