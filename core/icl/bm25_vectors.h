#pragma once
// BM25 term vectors of short documents, for clustering demonstrations (bm25-cluster grouping).
//
// Xapian scores documents against queries but exposes no per-document BM25 vector, so the weights are
// computed here from Xapian's analysis: Xapian::TermGenerator with the English Snowball stemmer
// (STEM_ALL: lowercased, stemmed terms, no unstemmed copies) gives each document's terms and
// within-document frequencies (wdf). The weight follows rank_bm25's BM25Okapi, which the paper's
// bm25-clustering uses (one column per vocabulary term = the document's score for that one-term query):
//   w(d, t) = idf(t) * wdf (k1 + 1) / (wdf + k1 (1 - b + b |d| / avg|d|))
//   idf(t)  = log((N - n_t + 0.5) / (n_t + 0.5)), and eps * mean(idf) where that is negative
// with k1 = 1.5, b = 0.75, eps = 0.25. |d| = the sum of the document's wdf.
#include <cstddef>
#include <string>
#include <vector>

namespace dbsa {

struct SparseVector {
  std::vector<std::size_t> index;  // term ids, ascending
  std::vector<double> value;
};

struct Bm25Vectors {
  std::vector<std::string> terms;  // term id -> term, in order of first appearance
  std::vector<SparseVector> docs;  // one per input document
};

struct Bm25VectorParams {
  double k1 = 1.5;
  double b = 0.75;
  double epsilon = 0.25;
  std::string language = "english";  // Snowball stemmer name; "none" = no stemming
};

Bm25Vectors bm25_vectors(const std::vector<std::string>& docs, const Bm25VectorParams& params = {});

}  // namespace dbsa
