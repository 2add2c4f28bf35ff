#pragma once
// The one interface every retriever implements (BM25 over text, dense over embeddings): add documents,
// commit, search. Results are ordered by score descending, then document id ascending, so equal scores
// never make a run depend on insertion order or on the index's internal ids.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dbsa {

using DocId = int64_t;

class RetrievalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RetrievalHit {
  DocId doc_id = 0;
  double score = 0.0;
  friend bool operator==(const RetrievalHit&, const RetrievalHit&) = default;
};

class Retriever {
 public:
  virtual ~Retriever() = default;

  // Adds one document (a block's text or a single demonstration). Ids are caller-chosen, >= 0, unique.
  virtual void add(DocId id, std::string_view text) = 0;
  // Makes every added document searchable (and durable, for on-disk indexes).
  virtual void commit() = 0;
  // The k best documents for the query (fewer only when the index holds fewer than k documents).
  virtual std::vector<RetrievalHit> search(std::string_view query, std::size_t k) const = 0;

  virtual std::size_t size() const = 0;  // documents a search can return
  virtual std::string_view name() const = 0;
};

// Sorts by score descending, then id ascending (the order every Retriever returns).
void sort_hits(std::vector<RetrievalHit>& hits);

}  // namespace dbsa
