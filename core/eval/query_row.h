#pragma once
// One answered test query as the evaluation records it: method_session.cpp fills it from the method's
// Prediction (method/prediction.h), evaluator.cpp turns it into the store's PredictionRow, so the
// evaluator needs nothing of the engine.
#include <cstdint>
#include <string>
#include <vector>

namespace dbsa {

struct QueryRow {
  std::string prediction;            // the predicted label's prompt wording
  std::vector<int> selected_blocks;  // in attention order (block methods)
  std::vector<double> block_scores;  // retrieval score of each selected block
  std::vector<int64_t> demo_ids;     // retrieval-icl: the demonstrations in context order
  std::vector<double> demo_scores;   // retrieval score of each of them
  int64_t n_tokens_attended = 0;
  double retrieval_seconds = 0;
  double assembly_seconds = 0;
  double forward_seconds = 0;
  double decode_seconds = 0;
  double total_seconds = 0;  // wall time of the whole predict() call
};

}  // namespace dbsa
