// BM25 retriever against a naive, independent implementation of Xapian's BM25 formula.
#include "retrieval/bm25_retriever.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <xapian.h>

#include "support/test_paths.h"

namespace dbsa {
namespace {

const std::vector<std::string> kCorpus = {
    "the cat sat on the mat",
    "the dog chased the cat around the garden",
    "stock markets fell sharply as interest rates rose",
    "the bank raised interest rates again",
    "my card was declined at the shop",
    "how do I reset the pin of my card",
    "the weather today is sunny and warm",
    "cats and dogs are popular pets",
};

// Lowercase, split on anything not a letter or digit, Snowball-stem: enough for the plain-ASCII corpus.
std::vector<std::string> naive_terms(const std::string& text, const Xapian::Stem& stem) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(stem(word));
    word.clear();
  };
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// Xapian's BM25Weight, written out from its documented formula (see bm25_retriever.h).
std::vector<double> naive_bm25(const std::vector<std::string>& corpus, const std::string& query,
                               const Bm25Params& p) {
  const Xapian::Stem stem(p.language);
  std::vector<std::map<std::string, int>> tf(corpus.size());
  std::vector<double> len(corpus.size());
  double total = 0;
  for (std::size_t d = 0; d < corpus.size(); ++d) {
    for (const auto& t : naive_terms(corpus[d], stem)) ++tf[d][t];
    len[d] = static_cast<double>(naive_terms(corpus[d], stem).size());
    total += len[d];
  }
  const double n_docs = static_cast<double>(corpus.size());
  const double avg = total / n_docs;
  std::map<std::string, int> wqf;
  for (const auto& t : naive_terms(query, stem)) ++wqf[t];
  double query_len = 0;
  for (const auto& [t, q] : wqf) query_len += q;

  std::vector<double> scores(corpus.size(), 0.0);
  for (std::size_t d = 0; d < corpus.size(); ++d) {
    const double normlen = std::max(len[d] / avg, p.min_normlen);
    bool matched = false;
    for (const auto& [t, q] : wqf) {
      double n = 0;
      for (const auto& doc : tf) n += doc.count(t) ? 1 : 0;
      const auto it = tf[d].find(t);
      if (it == tf[d].end()) continue;
      matched = true;
      double tw = (n_docs - n + 0.5) / (n + 0.5);
      if (tw < 2) tw = tw * 0.5 + 1;
      const double wdf = it->second;
      const double qpart = p.k3 == 0 ? 1.0 : (p.k3 + 1) * q / (p.k3 + q);
      scores[d] += std::log(tw) * qpart * (p.k1 + 1) * wdf / (p.k1 * ((1 - p.b) + p.b * normlen) + wdf);
    }
    if (matched) scores[d] += 2 * p.k2 * query_len / (1 + normlen);
  }
  return scores;
}

std::unique_ptr<Bm25Retriever> build(const std::vector<std::string>& corpus, Bm25Params p = {}) {
  auto r = Bm25Retriever::in_memory(std::move(p));
  for (std::size_t i = 0; i < corpus.size(); ++i) r->add(static_cast<DocId>(i), corpus[i]);
  r->commit();
  return r;
}

TEST(Bm25Retriever, RanksTheObviouslyRelevantDocumentFirst) {
  auto r = build(kCorpus);
  EXPECT_EQ(r->size(), kCorpus.size());
  EXPECT_EQ(r->search("interest rates at the bank", 3).front().doc_id, 3);
  EXPECT_EQ(r->search("my card got declined", 3).front().doc_id, 4);
  EXPECT_EQ(r->search("sunny weather", 1).front().doc_id, 6);
  // Stemming: "cats"/"dogs" match "cat"/"dog".
  const auto hits = r->search("cats dogs", 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc_id, 7);  // both terms in the shorter document
  EXPECT_EQ(hits[1].doc_id, 1);  // both terms, longer
  EXPECT_GT(hits[1].score, 0.0);
}

void expect_matches_naive(const Bm25Params& p, const std::string& query) {
  auto r = build(kCorpus, p);
  const auto expected = naive_bm25(kCorpus, query, p);
  const auto hits = r->search(query, kCorpus.size());
  ASSERT_EQ(hits.size(), kCorpus.size());
  for (const auto& h : hits) {
    // Xapian accumulates in double; only summation order differs.
    EXPECT_NEAR(h.score, expected[static_cast<std::size_t>(h.doc_id)], 1e-9 * (1 + std::abs(h.score)))
        << "doc " << h.doc_id << " query '" << query << "'";
  }
  for (std::size_t i = 1; i < hits.size(); ++i) {
    EXPECT_TRUE(hits[i - 1].score > hits[i].score ||
                (hits[i - 1].score == hits[i].score && hits[i - 1].doc_id < hits[i].doc_id));
  }
}

TEST(Bm25Retriever, ScoresMatchNaiveFormulaWithDefaults) {
  expect_matches_naive({}, "the cat and the dog");  // "the" is in most documents: the tw < 2 branch
  expect_matches_naive({}, "card card pin");        // repeated query term: wqf = 2
  expect_matches_naive({}, "interest rates rose");
}

TEST(Bm25Retriever, ScoresMatchNaiveFormulaWithXapianDefaultsAndK2) {
  Bm25Params p;
  p.k1 = 1.0;
  p.b = 0.5;
  p.k3 = 1.0;
  p.min_normlen = 0.5;
  expect_matches_naive(p, "the cat and the dog");
  expect_matches_naive(p, "card card pin");
  p.k2 = 0.7;
  p.k3 = 0.0;
  expect_matches_naive(p, "markets markets fell dog");
}

TEST(Bm25Retriever, TiesAreOrderedByIdWhateverTheInsertionOrder) {
  auto r = Bm25Retriever::in_memory();
  r->add(9, "apple banana");
  r->add(5, "apple banana");
  r->add(2, "apple banana");
  r->add(7, "cherry");
  r->commit();
  const auto two = r->search("apple", 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].doc_id, 2);
  EXPECT_EQ(two[1].doc_id, 5);
  EXPECT_EQ(two[0].score, two[1].score);
  const auto all = r->search("apple", 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].doc_id, 9);
  EXPECT_EQ(all[3].doc_id, 7);  // unmatched: score 0 after every match
  EXPECT_EQ(all[3].score, 0.0);
}

TEST(Bm25Retriever, UnmatchedQueryReturnsZeroScoresInIdOrder) {
  auto r = build(kCorpus);
  const auto hits = r->search("zzzz qqqq", 3);
  ASSERT_EQ(hits.size(), 3u);
  for (std::size_t i = 0; i < hits.size(); ++i) {
    EXPECT_EQ(hits[i].doc_id, static_cast<DocId>(i));
    EXPECT_EQ(hits[i].score, 0.0);
  }
  EXPECT_TRUE(r->search("", 0).empty());
  EXPECT_EQ(r->search("", 100).size(), kCorpus.size());
}

TEST(Bm25Retriever, OnDiskIndexReopensWithTheSameResults) {
  const auto dir = test::scratch_dir("bm25_on_disk") / "index";
  std::vector<std::vector<RetrievalHit>> before;
  const std::vector<std::string> queries = {"interest rates", "cat mat", "card pin reset", "pets"};
  {
    auto r = Bm25Retriever::create_on_disk(dir);
    for (std::size_t i = 0; i < kCorpus.size(); ++i) r->add(static_cast<DocId>(i) * 10, kCorpus[i]);
    r->commit();
    for (const auto& q : queries) before.push_back(r->search(q, 5));
  }
  auto reopened = Bm25Retriever::open_on_disk(dir);
  EXPECT_EQ(reopened->size(), kCorpus.size());
  for (std::size_t i = 0; i < queries.size(); ++i) EXPECT_EQ(reopened->search(queries[i], 5), before[i]);
  EXPECT_EQ(reopened->text(30), kCorpus[3]);
  EXPECT_THROW((void)reopened->text(31), RetrievalError);
}

TEST(Bm25Retriever, ReadOnlyOpensShareTheIndexAndRefuseWrites) {
  const auto dir = test::scratch_dir("bm25_read_only") / "index";
  {
    auto r = Bm25Retriever::create_on_disk(dir);
    r->add(4, "interest rates rose");
    EXPECT_EQ(r->search("rates", 1).front().doc_id, 4);  // visible before commit
    r->commit();
  }
  auto a = Bm25Retriever::open_on_disk(dir);
  auto b = Bm25Retriever::open_on_disk(dir);  // two readers at once: no lock conflict
  EXPECT_EQ(a->search("interest", 1), b->search("interest", 1));
  EXPECT_THROW(a->add(5, "more"), RetrievalError);
  auto w = Bm25Retriever::open_on_disk(dir, {}, /*writable=*/true);
  w->add(5, "interest again");
  w->commit();
  EXPECT_EQ(w->size(), 2u);
  EXPECT_EQ(Bm25Retriever::open_on_disk(dir)->size(), 2u);
}

TEST(Bm25Retriever, OnDiskIndexRefusesAnotherLanguageAndMissingFolder) {
  const auto dir = test::scratch_dir("bm25_language") / "index";
  {
    auto r = Bm25Retriever::create_on_disk(dir);
    r->add(0, "running runner");
    r->commit();
  }
  Bm25Params other;
  other.language = "none";
  try {
    (void)Bm25Retriever::open_on_disk(dir, other);
    FAIL() << "expected RetrievalError";
  } catch (const RetrievalError& e) {
    EXPECT_NE(std::string(e.what()).find("'english'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'none'"), std::string::npos) << e.what();
  }
  try {
    (void)Bm25Retriever::open_on_disk(dir.parent_path() / "missing");
    FAIL() << "expected RetrievalError";
  } catch (const RetrievalError& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

TEST(Bm25Retriever, RefusesDuplicateAndOutOfRangeIdsAndBadParameters) {
  auto r = Bm25Retriever::in_memory();
  r->add(0, "a b");
  EXPECT_THROW(r->add(0, "c"), RetrievalError);
  EXPECT_THROW(r->add(-1, "c"), RetrievalError);
  EXPECT_EQ(r->size(), 1u);
  Bm25Params bad;
  bad.b = 1.5;
  EXPECT_THROW((void)Bm25Retriever::in_memory(bad), RetrievalError);
  Bm25Params lang;
  lang.language = "klingon";
  EXPECT_THROW((void)Bm25Retriever::in_memory(lang), RetrievalError);
}

TEST(Bm25Retriever, AnalyzeStemsAndKeepsFirstAppearanceOrder) {
  auto r = Bm25Retriever::in_memory();
  EXPECT_EQ(r->analyze("Running dogs RAN; running"), (std::vector<std::string>{"run", "dog", "ran"}));
  Bm25Params none;
  none.language = "none";
  auto plain = Bm25Retriever::in_memory(none);
  EXPECT_EQ(plain->analyze("Running dogs"), (std::vector<std::string>{"running", "dogs"}));
}

}  // namespace
}  // namespace dbsa
