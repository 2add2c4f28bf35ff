#pragma once
// Rounding of activation rows to the formats the reference engine feeds its dot products with (see
// ActivationRounding in weight_matrix.h): the values are rounded and stored back as float.
#include <cstdint>

#include "engine/weight_matrix.h"

namespace dbsa {

// The format the reference engine converts activations to before a dot product with weights of GGUF
// type t: none for F32, F16/BF16 for those, Q8_0 blocks for the 32-value formats (Q8_1 for the _1
// types rounds values the same way), Q8_K for the K-quants. The integer kernels' activation blocks
// follow it (engine/quant_kernels.h: activation_blocks).
ActivationRounding reference_rounding(GgmlType t);

// Rounds n_rows rows of cols values from x into y (y may alias x). Q8_0 needs cols % 32 == 0 and
// Q8_K cols % 256 == 0 (guaranteed for rows of quantized weights); throws otherwise.
void round_activations(ActivationRounding mode, const float* x, float* y, int64_t n_rows, int64_t cols);

}  // namespace dbsa
