#include "icl/bm25_vectors.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include <xapian.h>

namespace dbsa {

Bm25Vectors bm25_vectors(const std::vector<std::string>& docs, const Bm25VectorParams& params) {
  Xapian::TermGenerator tg;
  if (params.language != "none") {
    tg.set_stemmer(Xapian::Stem(params.language));
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
  } else {
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
  }
  Bm25Vectors out;
  std::unordered_map<std::string, std::size_t> term_id;
  std::vector<std::vector<std::pair<std::size_t, double>>> tf(docs.size());
  std::vector<double> doc_len(docs.size(), 0.0);
  std::vector<std::size_t> df;
  for (std::size_t d = 0; d < docs.size(); ++d) {
    Xapian::Document doc;
    tg.set_document(doc);
    tg.index_text_without_positions(docs[d]);
    for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
      const std::string term = *it;
      auto [pos, fresh] = term_id.emplace(term, out.terms.size());
      if (fresh) {
        out.terms.push_back(term);
        df.push_back(0);
      }
      ++df[pos->second];
      const double wdf = it.get_wdf();
      tf[d].push_back({pos->second, wdf});
      doc_len[d] += wdf;
    }
  }
  const double n_docs = static_cast<double>(docs.size());
  const double avg_len = docs.empty() ? 0.0 : std::accumulate(doc_len.begin(), doc_len.end(), 0.0) / n_docs;
  std::vector<double> idf(out.terms.size());
  double idf_sum = 0.0;
  for (std::size_t t = 0; t < idf.size(); ++t) {
    const double nt = static_cast<double>(df[t]);
    idf[t] = std::log((n_docs - nt + 0.5) / (nt + 0.5));
    idf_sum += idf[t];
  }
  const double floor_idf = idf.empty() ? 0.0 : params.epsilon * idf_sum / static_cast<double>(idf.size());
  for (double& v : idf)
    if (v < 0) v = floor_idf;

  out.docs.resize(docs.size());
  for (std::size_t d = 0; d < docs.size(); ++d) {
    auto& terms = tf[d];
    std::sort(terms.begin(), terms.end());
    const double norm = params.k1 * (1.0 - params.b + params.b * (avg_len > 0 ? doc_len[d] / avg_len : 0.0));
    for (const auto& [t, f] : terms) {
      out.docs[d].index.push_back(t);
      out.docs[d].value.push_back(idf[t] * f * (params.k1 + 1.0) / (f + norm));
    }
  }
  return out;
}

}  // namespace dbsa
