#include "retrieval/retriever.h"

#include <algorithm>

namespace dbsa {

void sort_hits(std::vector<RetrievalHit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const RetrievalHit& a, const RetrievalHit& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.doc_id < b.doc_id;
  });
}

}  // namespace dbsa
