#include "retrieval/dense_retriever.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include "util/atomic_file.h"

namespace dbsa {
namespace {

using faiss_idx = faiss::Index::idx_t;  // FAISS 1.7.3 keeps idx_t inside Index

faiss::IndexHNSWFlat* hnsw_of(faiss::Index* index) {
  auto* map = dynamic_cast<faiss::IndexIDMap*>(index);
  return map ? dynamic_cast<faiss::IndexHNSWFlat*>(map->index) : nullptr;
}

}  // namespace

DenseRetriever::DenseRetriever(int dim, DenseParams params, Embedder embedder)
    : dim_(dim), kind_(params.kind), embedder_(std::move(embedder)) {
  if (dim <= 0)
    throw RetrievalError("dense: embedding dimension must be positive, got " + std::to_string(dim));
  faiss::Index* inner = nullptr;
  if (params.kind == DenseIndexKind::Flat) {
    inner = new faiss::IndexFlatIP(dim);
  } else {
    if (params.hnsw_m < 2 || params.hnsw_ef_construction < 1 || params.hnsw_ef_search < 1) {
      throw RetrievalError("dense: HNSW needs M >= 2, efConstruction >= 1, efSearch >= 1 (got M=" +
                           std::to_string(params.hnsw_m) + ")");
    }
    auto* hnsw = new faiss::IndexHNSWFlat(dim, params.hnsw_m, faiss::METRIC_INNER_PRODUCT);
    hnsw->hnsw.efConstruction = params.hnsw_ef_construction;
    hnsw->hnsw.efSearch = params.hnsw_ef_search;
    inner = hnsw;
  }
  auto map = std::make_unique<faiss::IndexIDMap>(inner);
  map->own_fields = true;
  index_ = std::move(map);
}

DenseRetriever::DenseRetriever(LoadTag, faiss::Index* index, int dim, DenseIndexKind kind, Embedder embedder)
    : dim_(dim), kind_(kind), embedder_(std::move(embedder)), index_(index) {
  const auto& map = dynamic_cast<faiss::IndexIDMap&>(*index_).id_map;
  ids_.insert(map.begin(), map.end());
}

DenseRetriever::~DenseRetriever() = default;

std::unique_ptr<DenseRetriever> DenseRetriever::load(const std::filesystem::path& file, Embedder embedder,
                                                     int hnsw_ef_search) {
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(file.string().c_str()));
  } catch (const faiss::FaissException& e) {
    throw RetrievalError("dense: cannot read index '" + file.string() + "': " + e.what());
  }
  auto* map = dynamic_cast<faiss::IndexIDMap*>(index.get());
  if (map == nullptr || map->metric_type != faiss::METRIC_INNER_PRODUCT) {
    throw RetrievalError("dense: '" + file.string() +
                         "' is not a cosine index written by DenseRetriever::save (expected an IndexIDMap "
                         "over an inner-product index)");
  }
  DenseIndexKind kind;
  if (dynamic_cast<faiss::IndexFlatIP*>(map->index) != nullptr) {
    kind = DenseIndexKind::Flat;
  } else if (auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(map->index)) {
    kind = DenseIndexKind::Hnsw;
    hnsw->hnsw.efSearch = hnsw_ef_search;
  } else {
    throw RetrievalError("dense: '" + file.string() + "' holds an index type other than Flat or HNSW");
  }
  const int dim = static_cast<int>(map->d);
  return std::unique_ptr<DenseRetriever>(
      new DenseRetriever(LoadTag{}, index.release(), dim, kind, std::move(embedder)));
}

void DenseRetriever::save(const std::filesystem::path& file) const {
  // Serialized in memory first so the file itself is written atomically (never a half index on disk).
  faiss::VectorIOWriter buf;
  try {
    faiss::write_index(index_.get(), &buf);
    write_file_atomic(file, std::as_bytes(std::span(buf.data.data(), buf.data.size())));
  } catch (const faiss::FaissException& e) {
    throw RetrievalError("dense: cannot write index '" + file.string() + "': " + e.what());
  } catch (const FileError& e) {
    throw RetrievalError(std::string("dense: cannot write index: ") + e.what());
  }
}

std::vector<float> DenseRetriever::normalised(std::span<const float> v, std::string_view what) const {
  if (static_cast<int>(v.size()) != dim_) {
    throw RetrievalError("dense: " + std::string(what) + " has dimension " + std::to_string(v.size()) +
                         ", the index expects " + std::to_string(dim_));
  }
  double norm2 = 0;
  for (float x : v) {
    if (!std::isfinite(x)) throw RetrievalError("dense: " + std::string(what) + " contains NaN or Inf");
    norm2 += static_cast<double>(x) * x;
  }
  if (norm2 == 0) throw RetrievalError("dense: " + std::string(what) + " is all zeros (cosine undefined)");
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm2));
  std::vector<float> out(v.begin(), v.end());
  for (float& x : out) x *= inv;
  return out;
}

std::vector<float> DenseRetriever::embed(std::string_view text) const {
  if (!embedder_) throw RetrievalError("dense: text given but no embedder was configured");
  return embedder_(text);
}

void DenseRetriever::add_embedding(DocId id, std::span<const float> embedding) {
  const std::string what = "embedding of document " + std::to_string(id);
  if (id < 0) throw RetrievalError("dense: document id " + std::to_string(id) + " is negative");
  auto v = normalised(embedding, what);
  if (!ids_.insert(id).second)
    throw RetrievalError("dense: document id " + std::to_string(id) + " added twice");
  pending_vectors_.insert(pending_vectors_.end(), v.begin(), v.end());
  pending_ids_.push_back(id);
}

void DenseRetriever::add(DocId id, std::string_view text) {
  add_embedding(id, embed(text));
}

void DenseRetriever::commit() {
  if (pending_ids_.empty()) return;
  // One batched add: HNSW inserts in parallel (OpenMP) only within a call.
  std::vector<faiss_idx> ids(pending_ids_.begin(), pending_ids_.end());
  index_->add_with_ids(static_cast<faiss_idx>(ids.size()), pending_vectors_.data(), ids.data());
  pending_vectors_.clear();
  pending_ids_.clear();
}

std::size_t DenseRetriever::size() const {
  return static_cast<std::size_t>(index_->ntotal);
}

void DenseRetriever::set_hnsw_ef_search(int ef) {
  if (ef < 1) throw RetrievalError("dense: efSearch must be >= 1, got " + std::to_string(ef));
  if (auto* hnsw = hnsw_of(index_.get())) hnsw->hnsw.efSearch = ef;
}

std::vector<RetrievalHit> DenseRetriever::search_embedding(std::span<const float> query,
                                                           std::size_t k) const {
  const auto q = normalised(query, "query embedding");
  const auto total = static_cast<std::size_t>(index_->ntotal);
  const std::size_t want = std::min(k, total);
  std::vector<RetrievalHit> hits;
  if (want == 0) return hits;
  // Ask for one more than needed; while the k-th score ties with the last one fetched, widen, so the
  // tie group is complete before ordering it by id (FAISS breaks ties by its own internal order).
  std::size_t fetch = std::min(want + 1, total);
  for (;;) {
    std::vector<float> scores(fetch);
    std::vector<faiss_idx> labels(fetch);
    index_->search(1, q.data(), static_cast<faiss_idx>(fetch), scores.data(), labels.data());
    hits.clear();
    for (std::size_t i = 0; i < fetch; ++i) {
      if (labels[i] >= 0) hits.push_back({static_cast<DocId>(labels[i]), static_cast<double>(scores[i])});
    }
    sort_hits(hits);
    const bool complete = fetch >= total || hits.size() <= want || hits[want - 1].score != hits.back().score;
    if (complete) break;
    fetch = std::min(fetch * 2, total);
  }
  if (hits.size() > want) hits.resize(want);
  return hits;
}

std::vector<RetrievalHit> DenseRetriever::search(std::string_view query, std::size_t k) const {
  return search_embedding(embed(query), k);
}

}  // namespace dbsa
