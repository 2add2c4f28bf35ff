#pragma once
// Bulk F16 -> F32 conversion for block assembly, the hot loop of every query. It uses the CPU's F16C
// instructions when present (detected at run time, so the build stays portable) and otherwise a
// 64 Ki-entry table built from dbsa::f16_to_f32. Either way every input gives exactly the value
// dbsa::f16_to_f32 gives (tested over all 65536 inputs).
#include <cstddef>
#include <cstdint>

namespace dbsa {

// src may be unaligned (it points into mapped block files).
void f16_to_f32_n(const void* src, float* dst, std::size_t n);

// n_rows rows of cols values each, row r read at src + r * src_row_stride (in F16 values) and written
// contiguously to dst + r * cols: one head's slice of a block's K/V rows, the tile a query's attention
// reads. One call per tile, so the dispatch and loop set-up are not paid per 64-value row.
void f16_to_f32_rows(const void* src, std::size_t src_row_stride, float* dst, std::size_t n_rows,
                     std::size_t cols);

// Which path f16_to_f32_n takes on this machine: "f16c" or "table".
const char* f16_convert_path();

// The table path alone (so tests can check it on machines with F16C too).
void f16_to_f32_n_table(const void* src, float* dst, std::size_t n);

}  // namespace dbsa
