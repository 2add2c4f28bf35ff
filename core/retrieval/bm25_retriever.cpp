#include "retrieval/bm25_retriever.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace dbsa {
namespace {

constexpr const char* kLanguageKey = "dbsa.bm25.language";
// Xapian document ids are 1-based 32-bit; ours are 0-based so block 0 is representable.
constexpr DocId kMaxDocId = static_cast<DocId>(std::numeric_limits<Xapian::docid>::max()) - 1;

Xapian::Stem make_stemmer(const std::string& language) {
  if (language == "none") return Xapian::Stem();
  try {
    return Xapian::Stem(language);
  } catch (const Xapian::Error& e) {
    throw RetrievalError("bm25: unknown stemming language '" + language + "' (" + e.get_msg() + ")");
  }
}

Xapian::WritableDatabase open_db(const std::string& path, int flags) {
  try {
    return Xapian::WritableDatabase(path, flags);
  } catch (const Xapian::Error& e) {
    throw RetrievalError("bm25: cannot open index '" + (path.empty() ? std::string("in-memory") : path) +
                         "': " + e.get_description());
  }
}

}  // namespace

Bm25Retriever::Bm25Retriever(Xapian::Database db, std::optional<Xapian::WritableDatabase> writer,
                             Bm25Params params, std::string where)
    : db_(std::move(db)),
      writer_(std::move(writer)),
      params_(std::move(params)),
      stemmer_(make_stemmer(params_.language)),
      where_(std::move(where)) {
  if (params_.k1 < 0 || params_.k2 < 0 || params_.k3 < 0 || params_.b < 0 || params_.b > 1 ||
      params_.min_normlen < 0) {
    // Xapian silently clamps out-of-range parameters; a typo should not silently change the ranking.
    throw RetrievalError("bm25 (" + where_ +
                         "): parameters out of range (need k1, k2, k3, min_normlen >= 0 "
                         "and 0 <= b <= 1)");
  }
}

std::unique_ptr<Bm25Retriever> Bm25Retriever::in_memory(Bm25Params params) {
  auto w = open_db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  w.set_metadata(kLanguageKey, params.language);
  Xapian::Database db = w;  // shares the writer's state: searches see added documents
  return std::unique_ptr<Bm25Retriever>(new Bm25Retriever(db, std::move(w), std::move(params), "in-memory"));
}

std::unique_ptr<Bm25Retriever> Bm25Retriever::create_on_disk(const std::filesystem::path& dir,
                                                             Bm25Params params) {
  auto w = open_db(dir.string(), Xapian::DB_CREATE_OR_OVERWRITE);
  w.set_metadata(kLanguageKey, params.language);
  Xapian::Database db = w;
  return std::unique_ptr<Bm25Retriever>(new Bm25Retriever(db, std::move(w), std::move(params), dir.string()));
}

std::unique_ptr<Bm25Retriever> Bm25Retriever::open_on_disk(const std::filesystem::path& dir,
                                                           Bm25Params params, bool writable) {
  if (!std::filesystem::is_directory(dir)) {
    throw RetrievalError("bm25: index folder '" + dir.string() + "' does not exist");
  }
  std::optional<Xapian::WritableDatabase> w;
  Xapian::Database db;
  try {
    if (writable) {
      w = open_db(dir.string(), Xapian::DB_OPEN);
      db = *w;
    } else {
      db = Xapian::Database(dir.string());
    }
  } catch (const Xapian::Error& e) {
    throw RetrievalError("bm25: cannot open index '" + dir.string() + "': " + e.get_description());
  }
  const std::string stored = db.get_metadata(kLanguageKey);
  if (stored != params.language) {
    throw RetrievalError("bm25: index '" + dir.string() + "' was built with stemming language '" + stored +
                         "', but '" + params.language + "' was requested");
  }
  return std::unique_ptr<Bm25Retriever>(new Bm25Retriever(db, std::move(w), std::move(params), dir.string()));
}

Xapian::WritableDatabase& Bm25Retriever::writer() {
  if (!writer_) throw RetrievalError("bm25 (" + where_ + "): index was opened read-only");
  return *writer_;
}

Xapian::Document Bm25Retriever::analyzed(std::string_view text) const {
  Xapian::TermGenerator gen;
  gen.set_stemmer(stemmer_);
  // STEM_ALL indexes one stemmed term per word (no unstemmed twin), so a document's length is its word
  // count and queries, analysed the same way, need no QueryParser (whose operator syntax would
  // misread arbitrary demonstration text such as "NOT" or quotes).
  gen.set_stemming_strategy(params_.language == "none" ? Xapian::TermGenerator::STEM_NONE
                                                       : Xapian::TermGenerator::STEM_ALL);
  Xapian::Document doc;
  gen.set_document(doc);
  gen.index_text(std::string(text));
  return doc;
}

void Bm25Retriever::add(DocId id, std::string_view text) {
  if (id < 0 || id > kMaxDocId) {
    throw RetrievalError("bm25 (" + where_ + "): document id " + std::to_string(id) + " out of range [0, " +
                         std::to_string(kMaxDocId) + "]");
  }
  Xapian::Document doc = analyzed(text);
  doc.set_data(std::string(text));
  std::lock_guard lock(mutex_);
  Xapian::WritableDatabase& w = writer();
  try {
    const auto xid = static_cast<Xapian::docid>(id + 1);
    bool exists = true;
    try {
      (void)w.get_doclength(xid);
    } catch (const Xapian::DocNotFoundError&) {
      exists = false;
    }
    if (exists) {
      throw RetrievalError("bm25 (" + where_ + "): document id " + std::to_string(id) + " added twice");
    }
    w.replace_document(xid, doc);
  } catch (const Xapian::Error& e) {
    throw RetrievalError("bm25 (" + where_ + "): adding document " + std::to_string(id) +
                         " failed: " + e.get_description());
  }
}

void Bm25Retriever::commit() {
  std::lock_guard lock(mutex_);
  if (!writer_) return;  // nothing can have changed
  try {
    writer_->commit();
  } catch (const Xapian::Error& e) {
    throw RetrievalError("bm25 (" + where_ + "): commit failed: " + e.get_description());
  }
}

std::size_t Bm25Retriever::size() const {
  std::lock_guard lock(mutex_);
  return db_.get_doccount();
}

std::vector<RetrievalHit> Bm25Retriever::search(std::string_view query, std::size_t k) const {
  const Xapian::Document qdoc = analyzed(query);
  std::vector<Xapian::Query> terms;
  for (auto it = qdoc.termlist_begin(); it != qdoc.termlist_end(); ++it) {
    terms.emplace_back(*it, it.get_wdf());  // wdf of the query text = wqf
  }
  const Xapian::Query q(Xapian::Query::OP_OR, terms.begin(), terms.end());

  std::lock_guard lock(mutex_);
  std::vector<RetrievalHit> hits;
  try {
    const auto n_docs = db_.get_doccount();
    const auto want = static_cast<Xapian::doccount>(std::min<std::size_t>(k, n_docs));
    if (want == 0) return hits;
    Xapian::Enquire enquire(db_);
    enquire.set_query(q);
    enquire.set_weighting_scheme(
        Xapian::BM25Weight(params_.k1, params_.k2, params_.k3, params_.b, params_.min_normlen));
    // Equal weights come back in ascending Xapian id = ascending DocId, which is our tie order.
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);
    enquire.set_sort_by_relevance();
    const Xapian::MSet mset = enquire.get_mset(0, want);
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      hits.push_back({static_cast<DocId>(*it) - 1, it.get_weight()});
    }
    if (hits.size() < want) {
      // Unmatched documents score 0, after every match; fill in ascending id order.
      std::vector<DocId> matched;
      for (const auto& h : hits) matched.push_back(h.doc_id);
      std::sort(matched.begin(), matched.end());
      for (auto it = db_.postlist_begin(""); it != db_.postlist_end("") && hits.size() < want; ++it) {
        const DocId id = static_cast<DocId>(*it) - 1;
        if (!std::binary_search(matched.begin(), matched.end(), id)) hits.push_back({id, 0.0});
      }
    }
  } catch (const Xapian::Error& e) {
    throw RetrievalError("bm25 (" + where_ + "): search failed: " + e.get_description());
  }
  sort_hits(hits);
  return hits;
}

std::vector<std::string> Bm25Retriever::analyze(std::string_view text) const {
  const Xapian::Document doc = analyzed(text);
  std::vector<std::pair<Xapian::termpos, std::string>> first;
  for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
    auto pos = it.positionlist_begin();
    first.emplace_back(pos != it.positionlist_end() ? *pos : 0, *it);
  }
  std::sort(first.begin(), first.end());
  std::vector<std::string> terms;
  for (auto& [pos, term] : first) terms.push_back(std::move(term));
  return terms;
}

std::string Bm25Retriever::text(DocId id) const {
  std::lock_guard lock(mutex_);
  if (id < 0 || id > kMaxDocId)
    throw RetrievalError("bm25 (" + where_ + "): no document " + std::to_string(id));
  try {
    return db_.get_document(static_cast<Xapian::docid>(id + 1)).get_data();
  } catch (const Xapian::DocNotFoundError&) {
    throw RetrievalError("bm25 (" + where_ + "): no document " + std::to_string(id));
  } catch (const Xapian::Error& e) {
    throw RetrievalError("bm25 (" + where_ + "): reading document " + std::to_string(id) +
                         " failed: " + e.get_description());
  }
}

}  // namespace dbsa
