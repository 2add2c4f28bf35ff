// `dbsa query`: one query against a KV block cache made by `dbsa encode`: retrieve blocks, assemble
// their K/V, run the query, decode the label; prints the label, the selected blocks and the timings.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cache/block_cache.h"
#include "cli/cli.h"
#include "cli/cli_options.h"
#include "engine/llama_model.h"
#include "method/cache_session.h"
#include "model/gguf_file.h"
#include "util/name_list.h"

namespace dbsa::cli {
namespace {

struct QueryArgs {
  std::string cache, select = "6", order = "in-order", retriever = "bm25", logits_out, model;
  TextArgs text;
  CLI::Option* select_opt = nullptr;
  WeightArgs weights;
  int32_t dense_layer = -1;
  bool json = false;
};

void print_text(const Prediction& p, const BlockCache& cache) {
  std::cout << "label: " << p.label << "\n";
  std::cout << "blocks (" << p.blocks.size() << " of " << cache.n_blocks() << ", " << p.context_tokens
            << " tokens + " << p.query_tokens << " query tokens):\n";
  for (const auto& b : p.blocks)
    std::cout << "  block " << std::setw(4) << b.block << "  score " << std::fixed << std::setprecision(4)
              << b.score << "  tokens " << b.n_tokens << (b.forced ? "  (sink)" : "") << "\n";
  const auto& t = p.timings;
  std::cout << std::setprecision(3) << "timings ms: retrieval " << 1e3 * t.retrieval_s << ", assembly "
            << 1e3 * t.assembly_s << ", forward " << 1e3 * t.forward_s << ", decode " << 1e3 * t.decode_s
            << ", total " << 1e3 * t.total() << "\n";
}

void print_json(const Prediction& p, const std::string& retriever, double setup_s) {
  nlohmann::json j;
  j["label"] = p.label;
  j["label_id"] = p.label_id;
  j["label_tokens"] = p.label_tokens;
  j["retriever"] = retriever;
  j["context_tokens"] = p.context_tokens;
  j["query_tokens"] = p.query_tokens;
  auto& blocks = j["blocks"] = nlohmann::json::array();
  for (const auto& b : p.blocks)
    blocks.push_back(
        {{"block", b.block}, {"score", b.score}, {"n_tokens", b.n_tokens}, {"forced", b.forced}});
  j["timings"] = {{"retrieval_s", p.timings.retrieval_s}, {"assembly_s", p.timings.assembly_s},
                  {"forward_s", p.timings.forward_s},     {"decode_s", p.timings.decode_s},
                  {"total_s", p.timings.total()},         {"load_s", setup_s}};
  std::cout << j.dump(2) << "\n";
}

void run_query(const QueryArgs& a) {
  CacheSessionOptions so;
  so.model = a.model;
  so.retriever = a.retriever;
  so.dense_layer = a.dense_layer;
  CacheSession session(a.cache, so, [&a](std::shared_ptr<const GgufFile> file) {
    return load_llama(std::move(file), a.weights);
  });
  if (!session.index_note().empty()) std::cerr << "dbsa query: " << session.index_note() << "\n";

  QueryConfig cfg;
  cfg.n_select = parse_block_count(a.select, "--select", 1);
  // The default 6 means "up to 6": only a count the user typed is refused when the cache is smaller.
  if (a.select_opt->count() == 0) cfg.n_select = std::min(cfg.n_select, session.cache().n_blocks());
  cfg.order = parse_block_order(a.order);
  cfg.keep_logits = !a.logits_out.empty();
  const std::string text = read_text_arg(a.text, "query");
  Prediction p;
  try {
    p = session.query().run(text, cfg);
  } catch (const ContextLengthError& e) {
    // The query refuses with numbers; only the command line knows where the text came from.
    throw ContextLengthError(text_arg_origin(a.text) + ": " + e.what());
  }
  if (!a.logits_out.empty()) write_f32_file(a.logits_out, p.last_logits);
  if (a.json)
    print_json(p, a.retriever, session.setup_seconds());
  else
    print_text(p, session.cache());
}

}  // namespace

void register_query_command(CLI::App& app) {
  auto a = std::make_shared<QueryArgs>();
  auto* c =
      app.add_subcommand("query", "Classify a text with DBSA over a KV block cache made by `dbsa encode`");
  c->add_option("--cache,-c", a->cache, "Cache folder (printed by `dbsa encode`)")->required();
  add_text_options(c, a->text, "text", "");
  a->select_opt =
      c->add_option("--select", a->select, "Blocks to attend, sink included, or 'all' (default: 6 or fewer)");
  c->add_option("--order", a->order, name_list(block_order_names()));
  c->add_option("--retriever", a->retriever, name_list(block_retriever_names()));
  c->add_option("--dense-layer", a->dense_layer,
                "Hidden layer whose mean is the dense embedding (default: middle)");
  c->add_option("--logits-out", a->logits_out, "Write the query's last logits (float32 little-endian)");
  add_model_option(c, a->model, "--model,-m",
                   "Model file or `builtin` (default: the path recorded in the cache)");
  c->add_flag("--json", a->json, "Print the prediction as JSON");
  add_weight_options(c, a->weights);
  c->callback([a] { run_query(*a); });
}

}  // namespace dbsa::cli
