#pragma once
// BM25 over texts with Xapian: each document is a block's text (the paper) or one demonstration.
//
// Scoring is Xapian::BM25Weight. For a query term t with within-query frequency wqf, a document d with
// within-document frequency wdf and length len (its number of indexed words), N documents, n of them
// containing t, avg the mean document length:
//   normlen = max(len / avg, min_normlen)
//   tw      = (N - n + 0.5) / (n + 0.5);  if tw < 2 then tw = tw / 2 + 1      (Xapian's idf variant)
//   score  += log(tw) * (k3 + 1) wqf / (k3 + wqf) * (k1 + 1) wdf / (k1 ((1 - b) + b normlen) + wdf)
// plus, when k2 > 0, 2 k2 |query| / (1 + normlen) per document.
//
// What differs from rank_bm25's BM25Okapi (used by the paper's code, k1 = 1.5, b = 0.75, eps = 0.25):
// - idf: BM25Okapi uses log((N - n + 0.5) / (n + 0.5)) and replaces negative values by 0.25 x the mean
//   idf; Xapian keeps every weight positive by mapping tw < 2 to tw / 2 + 1 instead.
// - query repeats: BM25Okapi adds a term once per occurrence in the query (linear in wqf); Xapian
//   saturates with k3. Our default k3 is huge, which makes (k3 + 1) wqf / (k3 + wqf) equal wqf.
// - analysis: BM25Okapi sees whatever tokens the caller passes (the paper: whitespace split, case kept);
//   we lowercase, split on Unicode word boundaries and apply the Snowball stemmer of `language`.
// - min_normlen: Xapian clamps very short documents' normalised length; our default 0 disables that.
// Documents no query term matches are returned with score 0 (BM25Okapi scores every document), so a
// search always yields min(k, size()) hits, ordered by score descending then id ascending.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "retrieval/retriever.h"

namespace dbsa {

struct Bm25Params {
  double k1 = 1.5;  // wdf saturation (BM25Okapi's default)
  double b = 0.75;  // document length normalisation strength, 0..1 (BM25Okapi's default)
  double k2 = 0.0;  // Xapian's query-length correction; 0 = plain Okapi BM25
  double k3 = 1e9;  // wqf saturation; huge = linear in wqf like BM25Okapi
  double min_normlen = 0.0;
  std::string language = "english";  // Snowball stemmer; "none" disables stemming
};

class Bm25Retriever final : public Retriever {
 public:
  // A fresh index held in memory (Xapian::InMemory).
  static std::unique_ptr<Bm25Retriever> in_memory(Bm25Params params = {});
  // A fresh index in folder `dir` (created; an existing index there is overwritten).
  static std::unique_ptr<Bm25Retriever> create_on_disk(const std::filesystem::path& dir,
                                                       Bm25Params params = {});
  // An existing index in `dir`. Read-only by default, so any number of processes can search it at
  // once (a writable Xapian database is exclusively locked); writable = true allows add(). Refuses an
  // index built with another stemming language (terms would not match), naming both.
  static std::unique_ptr<Bm25Retriever> open_on_disk(const std::filesystem::path& dir, Bm25Params params = {},
                                                     bool writable = false);

  // id must be in [0, 2^32 - 2] and not yet present; the text is stored for display. Searches see added
  // documents at once; commit() makes them durable on disk.
  void add(DocId id, std::string_view text) override;
  void commit() override;
  std::vector<RetrievalHit> search(std::string_view query, std::size_t k) const override;
  std::size_t size() const override;
  std::string_view name() const override { return "bm25"; }

  // The indexed terms of a text, in order of first appearance (what the retrieval inspector shows).
  std::vector<std::string> analyze(std::string_view text) const;
  // The stored text of a document; throws RetrievalError for an unknown id.
  std::string text(DocId id) const;
  const Bm25Params& params() const { return params_; }

 private:
  Bm25Retriever(Xapian::Database db, std::optional<Xapian::WritableDatabase> writer, Bm25Params params,
                std::string where);
  Xapian::WritableDatabase& writer();
  Xapian::Document analyzed(std::string_view text) const;

  // A Xapian database object must not be used by two threads at once; this makes search() thread-safe.
  mutable std::mutex mutex_;
  Xapian::Database db_;                             // what searches read
  std::optional<Xapian::WritableDatabase> writer_;  // the same database, when writable
  Bm25Params params_;
  Xapian::Stem stemmer_;
  std::string where_;  // "in-memory" or the folder, for error messages
};

}  // namespace dbsa
