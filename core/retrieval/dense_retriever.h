#pragma once
// Dense retrieval with FAISS: cosine similarity as the inner product of L2-normalised embeddings.
// Flat is exact (IndexFlatIP); HNSW (IndexHNSWFlat, inner-product metric) is approximate and faster
// for large demonstration pools. Embeddings come from the model itself (mean-pooled hidden state of a
// layer, computed by the engine); text can be added/searched directly when an Embedder is supplied.
// Searches may run concurrently with each other, not with add/commit/set_hnsw_ef_search.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "retrieval/retriever.h"

namespace faiss {
struct Index;  // FAISS headers stay out of this one
}  // namespace faiss

namespace dbsa {

enum class DenseIndexKind { Flat, Hnsw };

struct DenseParams {
  DenseIndexKind kind = DenseIndexKind::Flat;
  int hnsw_m = 32;                // graph degree: memory and recall grow with it
  int hnsw_ef_construction = 40;  // build-time beam width
  int hnsw_ef_search = 64;        // query-time beam width (recall vs latency)
};

// Text -> embedding of the retriever's dimension.
using Embedder = std::function<std::vector<float>(std::string_view)>;

class DenseRetriever final : public Retriever {
 public:
  DenseRetriever(int dim, DenseParams params = {}, Embedder embedder = {});
  ~DenseRetriever() override;
  DenseRetriever(const DenseRetriever&) = delete;
  DenseRetriever& operator=(const DenseRetriever&) = delete;

  // Reads an index written by save(); errors name the file. hnsw_ef_search of params applies to HNSW.
  static std::unique_ptr<DenseRetriever> load(const std::filesystem::path& file, Embedder embedder = {},
                                              int hnsw_ef_search = DenseParams{}.hnsw_ef_search);
  // Writes the committed index atomically (temp file + rename); errors name the file.
  void save(const std::filesystem::path& file) const;

  // Queues one embedding (normalised on the way in); searchable after commit(). Throws on a wrong
  // dimension, a non-finite or all-zero vector, or a duplicate id.
  void add_embedding(DocId id, std::span<const float> embedding);
  std::vector<RetrievalHit> search_embedding(std::span<const float> query, std::size_t k) const;

  // Retriever over text: needs the Embedder given at construction/load.
  void add(DocId id, std::string_view text) override;
  void commit() override;
  std::vector<RetrievalHit> search(std::string_view query, std::size_t k) const override;
  std::size_t size() const override;
  std::string_view name() const override {
    return kind_ == DenseIndexKind::Flat ? "dense-flat" : "dense-hnsw";
  }

  int dim() const { return dim_; }
  DenseIndexKind kind() const { return kind_; }
  void set_hnsw_ef_search(int ef);

 private:
  struct LoadTag {};
  DenseRetriever(LoadTag, faiss::Index* index, int dim, DenseIndexKind kind, Embedder embedder);
  std::vector<float> normalised(std::span<const float> v, std::string_view what) const;
  std::vector<float> embed(std::string_view text) const;

  int dim_;
  DenseIndexKind kind_;
  Embedder embedder_;
  std::unique_ptr<faiss::Index> index_;  // an IndexIDMap over IndexFlatIP or IndexHNSWFlat
  std::unordered_set<DocId> ids_;        // committed and pending, to refuse duplicates
  std::vector<float> pending_vectors_;
  std::vector<DocId> pending_ids_;
};

}  // namespace dbsa
