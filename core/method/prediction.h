#pragma once
// What every method reports for one query (the GUI's retrieval inspector and the results database read
// it): the predicted label, what the query attended to and where the time went.
#include <cstdint>
#include <string>
#include <vector>

namespace dbsa {

struct SelectedBlock {
  int32_t block = 0;
  double score = 0.0;  // retriever score for the query (0 when the block matched no query term)
  int32_t n_tokens = 0;
  bool forced = false;  // the sink, put first whatever its score
};

struct RetrievedDemo {
  int64_t demo_id = 0;  // index into the pool
  double score = 0.0;
};

struct QueryTimings {
  double retrieval_s = 0.0;
  double assembly_s = 0.0;  // building the KV context (cache reads, or encoding it for retrieval-icl)
  double forward_s = 0.0;   // the query tokens over the context
  double decode_s = 0.0;    // constrained label decoding
  double total() const { return retrieval_s + assembly_s + forward_s + decode_s; }
};

struct Prediction {
  int32_t label_id = -1;  // index into the label set
  std::string label;
  std::vector<int32_t> label_tokens;  // the tokens decoding produced
  std::vector<SelectedBlock> blocks;  // in context order (block methods)
  std::vector<RetrievedDemo> demos;   // in context order (retrieval-icl)
  int64_t context_tokens = 0;         // tokens attended before the query
  int64_t query_tokens = 0;
  QueryTimings timings;
  std::vector<float> last_logits;  // the query's last position, when asked for
};

}  // namespace dbsa
