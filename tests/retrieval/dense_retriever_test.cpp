// Dense retriever against brute-force cosine similarity computed in the test.
#include "retrieval/dense_retriever.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/test_paths.h"

namespace dbsa {
namespace {

std::vector<std::vector<float>> random_vectors(std::size_t n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<std::vector<float>> out(n, std::vector<float>(static_cast<std::size_t>(dim)));
  for (auto& v : out) {
    for (auto& x : v) x = dist(rng);
  }
  return out;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return dot / std::sqrt(na * nb);
}

// Brute force: every document's cosine, sorted score desc then id asc.
std::vector<RetrievalHit> brute_force(const std::vector<std::vector<float>>& docs,
                                      const std::vector<DocId>& ids, const std::vector<float>& q,
                                      std::size_t k) {
  std::vector<RetrievalHit> all;
  for (std::size_t i = 0; i < docs.size(); ++i) all.push_back({ids[i], cosine(docs[i], q)});
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.score != b.score ? a.score > b.score : a.doc_id < b.doc_id;
  });
  all.resize(std::min(k, all.size()));
  return all;
}

struct Data {
  std::vector<std::vector<float>> docs;
  std::vector<DocId> ids;
};

Data make_data(std::size_t n, int dim, uint32_t seed) {
  Data d{random_vectors(n, dim, seed), std::vector<DocId>(n)};
  // Ids unrelated to insertion order, so FAISS positions cannot be mistaken for ids.
  for (std::size_t i = 0; i < n; ++i) d.ids[i] = static_cast<DocId>((i * 7919) % 100003) + 1000;
  return d;
}

void fill(DenseRetriever& r, const Data& d) {
  for (std::size_t i = 0; i < d.docs.size(); ++i) r.add_embedding(d.ids[i], d.docs[i]);
  r.commit();
}

TEST(DenseRetriever, FlatSearchEqualsBruteForce) {
  const int dim = 24;
  const auto data = make_data(300, dim, 1);
  DenseRetriever r(dim);
  fill(r, data);
  EXPECT_EQ(r.size(), 300u);
  EXPECT_EQ(r.name(), "dense-flat");
  for (const auto& q : random_vectors(12, dim, 2)) {
    const auto got = r.search_embedding(q, 10);
    const auto want = brute_force(data.docs, data.ids, q, 10);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].doc_id, want[i].doc_id) << "rank " << i;
      EXPECT_NEAR(got[i].score, want[i].score, 1e-5);  // float inner products of unit vectors
    }
  }
  // k larger than the index: everything, still ordered.
  EXPECT_EQ(r.search_embedding(random_vectors(1, dim, 3)[0], 1000).size(), 300u);
}

TEST(DenseRetriever, HnswRecallIsHighOnRandomData) {
  const int dim = 32;
  const auto data = make_data(2000, dim, 4);
  DenseParams p;
  p.kind = DenseIndexKind::Hnsw;
  p.hnsw_m = 16;
  p.hnsw_ef_search = 128;
  DenseRetriever r(dim, p);
  fill(r, data);
  EXPECT_EQ(r.name(), "dense-hnsw");
  const std::size_t k = 10;
  std::size_t found = 0, total = 0;
  for (const auto& q : random_vectors(50, dim, 5)) {
    std::set<DocId> truth;
    for (const auto& h : brute_force(data.docs, data.ids, q, k)) truth.insert(h.doc_id);
    for (const auto& h : r.search_embedding(q, k)) found += truth.count(h.doc_id);
    total += k;
  }
  const double recall = static_cast<double>(found) / static_cast<double>(total);
  std::printf("HNSW recall@10 (M=16, efSearch=128, n=2000, d=32): %.3f\n", recall);
  EXPECT_GE(recall, 0.95);
}

TEST(DenseRetriever, SaveLoadRoundTripGivesIdenticalResults) {
  const int dim = 16;
  const auto data = make_data(400, dim, 6);
  const auto dir = test::scratch_dir("dense_save_load");
  for (auto kind : {DenseIndexKind::Flat, DenseIndexKind::Hnsw}) {
    DenseParams p;
    p.kind = kind;
    DenseRetriever r(dim, p);
    fill(r, data);
    const auto file = dir / (kind == DenseIndexKind::Flat ? "flat.faiss" : "hnsw.faiss");
    r.save(file);
    auto loaded = DenseRetriever::load(file);
    EXPECT_EQ(loaded->kind(), kind);
    EXPECT_EQ(loaded->dim(), dim);
    EXPECT_EQ(loaded->size(), r.size());
    for (const auto& q : random_vectors(5, dim, 7))
      EXPECT_EQ(loaded->search_embedding(q, 8), r.search_embedding(q, 8));
    // Ids survive the round trip: re-adding a saved id is refused.
    EXPECT_THROW(loaded->add_embedding(data.ids[3], data.docs[3]), RetrievalError);
  }
}

TEST(DenseRetriever, LoadErrorsNameThePath) {
  const auto dir = test::scratch_dir("dense_load_errors");
  const auto missing = dir / "nope.faiss";
  try {
    (void)DenseRetriever::load(missing);
    FAIL() << "expected RetrievalError";
  } catch (const RetrievalError& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
  const auto garbage = dir / "garbage.faiss";
  std::ofstream(garbage) << "this is not a faiss index at all";
  try {
    (void)DenseRetriever::load(garbage);
    FAIL() << "expected RetrievalError";
  } catch (const RetrievalError& e) {
    EXPECT_NE(std::string(e.what()).find(garbage.string()), std::string::npos) << e.what();
  }
}

TEST(DenseRetriever, TiesAreOrderedByIdAcrossTheCutOff) {
  const int dim = 4;
  DenseRetriever r(dim);
  const std::vector<float> same = {1, 2, 3, 4};
  // Inserted in descending id order: FAISS would return them in insertion order.
  for (DocId id : {50, 40, 30, 20, 10}) r.add_embedding(id, same);
  r.add_embedding(5, std::vector<float>{-1, 0, 0, 0});
  r.commit();
  const auto hits = r.search_embedding(same, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc_id, 10);
  EXPECT_EQ(hits[1].doc_id, 20);
  EXPECT_NEAR(hits[0].score, 1.0, 1e-6);
}

TEST(DenseRetriever, RefusesBadInput) {
  DenseRetriever r(3);
  EXPECT_THROW(r.add_embedding(0, std::vector<float>{1, 2}), RetrievalError);
  EXPECT_THROW(r.add_embedding(0, std::vector<float>{0, 0, 0}), RetrievalError);
  EXPECT_THROW(r.add_embedding(0, std::vector<float>{NAN, 0, 1}), RetrievalError);
  EXPECT_THROW(r.add_embedding(-2, std::vector<float>{1, 0, 0}), RetrievalError);
  r.add_embedding(0, std::vector<float>{1, 0, 0});
  EXPECT_THROW(r.add_embedding(0, std::vector<float>{0, 1, 0}), RetrievalError);
  EXPECT_EQ(r.size(), 0u);  // not committed yet
  r.commit();
  EXPECT_EQ(r.size(), 1u);
  EXPECT_THROW(r.add(1, "text"), RetrievalError);  // no embedder
  EXPECT_THROW((void)r.search_embedding(std::vector<float>{1, 0}, 1), RetrievalError);
  EXPECT_THROW(DenseRetriever(0), RetrievalError);
}

TEST(DenseRetriever, TextGoesThroughTheEmbedder) {
  // A toy embedder: letter counts a..z. Enough to show text add/search uses it.
  auto embed = [](std::string_view text) {
    std::vector<float> v(26, 0.0f);
    for (char c : text) {
      if (c >= 'a' && c <= 'z') v[static_cast<std::size_t>(c - 'a')] += 1.0f;
    }
    return v;
  };
  DenseRetriever r(26, {}, embed);
  r.add(0, "aaaa");
  r.add(1, "zzzz");
  r.add(2, "mmmm");
  r.commit();
  const auto hits = r.search("zz", 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].doc_id, 1);
  EXPECT_NEAR(hits[0].score, 1.0, 1e-6);
  EXPECT_EQ(hits[1].doc_id, 0);  // both orthogonal: score 0, id order
  EXPECT_EQ(hits[2].doc_id, 2);
}

}  // namespace
}  // namespace dbsa
