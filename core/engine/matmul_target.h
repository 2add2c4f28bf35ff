#pragma once
// One product of a batch of products sharing their input: y[n][w->rows] = x[n][w->cols] · wᵀ
// (engine/matmul.h matmuls(), Backend::matmuls()).
#include "engine/weight_matrix.h"

namespace dbsa {

struct MatmulTarget {
  const WeightMatrix* w;
  float* y;
};

}  // namespace dbsa
