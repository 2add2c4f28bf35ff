#pragma once
// What the studio's pages share: the open model, the pool and its blocks, the KV store and the chosen
// cache with an open query session, the last query's result, and the one background job (the engine's
// forward pass is not thread-safe, so heavy work runs one job at a time). Pages read it and react to
// its signals; only the publish step of a job (on the GUI thread) changes it.
#include <QObject>
#include <QString>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "cache/cache_store.h"
#include "engine/llama_model.h"
#include "icl/dataset.h"
#include "icl/grouping.h"
#include "icl/pool_source.h"
#include "method/cache_session.h"
#include "method/prediction.h"
#include "model/gguf_file.h"
#include "model/model_summary.h"
#include "text/tokenizer.h"
#include "ui/shell/background_job.h"

namespace dbsa::ui {

// How the studio loads a model, as the Model page sets it: the named backend (all cores for "cpu"), the
// weight precision and KV cache type (`--weights-*` and `--kv-cache` of the CLI), and the context limit
// max_context (0: the file's context length; `--max-context`, model/context_limit.h).
struct StudioLoad {
  std::string backend = "cpu";
  WeightPrecision precision = WeightPrecision::Native;
  KvType kv = KvType::F32;
  int64_t max_context = 0;
  bool operator==(const StudioLoad&) const = default;
};

struct OpenModel {
  std::filesystem::path path;
  std::shared_ptr<const GgufFile> file;
  std::shared_ptr<const Tokenizer> tok;
  std::shared_ptr<LlamaModel> model;
  ModelSummary summary;
  StudioLoad load;          // the Model page's choices it was loaded with
  std::string fingerprint;  // fingerprint_file(path), to tell whether a cache was built with it
};

struct PoolBlocks {
  std::shared_ptr<const LoadedPool> pool;
  Blocks blocks;
  std::vector<std::string> block_texts;  // as pre-encoding sees them
  std::vector<size_t> block_tokens;      // tokens of each block's segment
  std::string grouping = "in-order";
  int32_t block_demos = 5;
  uint64_t seed = 0;
  std::filesystem::path data_dir;  // the dataset's folder (empty for a pool file)
  std::vector<Example> tests;      // test queries of the pool's dataset (empty for a pool file)
};

// The last query: its text and gold label with what core's CacheSession::run_captured returned (the
// capture of the layer/head chosen on the Attention page).
struct QueryOutcome : CapturedQuery {
  std::string text;
  std::string gold;  // empty when the query was typed
};

class StudioState : public QObject {
  Q_OBJECT
 public:
  explicit StudioState(QObject* parent = nullptr);

  BackgroundJob& job() { return job_; }
  const std::optional<OpenModel>& model() const { return model_; }
  const std::optional<PoolBlocks>& pool() const { return pool_; }
  const std::filesystem::path& store_root() const { return store_root_; }
  // The chosen cache as the KV store listed it (folder, key, block count): pages read its layout from
  // here instead of opening the cache on the GUI thread. Null when none is chosen.
  const CacheSummary* cache() const { return cache_ ? &*cache_ : nullptr; }
  const std::filesystem::path& cache_dir() const;
  // The model file the chosen cache was built with (its manifest's path; queries run on it), and
  // whether that is the open model's file (false when either is missing).
  const std::string& cache_model_path() const { return cache_model_path_; }
  bool cache_built_with_open_model() const;
  std::shared_ptr<CacheSession> session() const { return session_; }
  const std::optional<QueryOutcome>& query() const { return query_; }
  // Layer and query head whose weights the next query captures.
  int32_t capture_layer() const { return capture_layer_; }
  int32_t capture_head() const { return capture_head_; }

  void set_model(OpenModel m);
  void set_pool(PoolBlocks p);
  // A new grouping of the same pool (blocks, texts and token counts of `p`; its pool, data folder and
  // tests are kept).
  void set_blocks(PoolBlocks p);
  void set_store_root(std::filesystem::path root);
  // Choosing another cache drops the open session (the next query opens one) and the last query's
  // results, which belong to the old cache; nullopt chooses none.
  void set_cache(std::optional<CacheSummary> cache, std::string model_path = {});
  void set_session(std::shared_ptr<CacheSession> s);
  void set_query(QueryOutcome q);
  void set_capture_head(int32_t layer, int32_t head);

 signals:
  void model_changed();
  void pool_changed();
  void blocks_changed();
  void store_changed();
  void cache_changed();
  void query_changed();

 private:
  BackgroundJob job_;
  std::optional<OpenModel> model_;
  std::optional<PoolBlocks> pool_;
  std::filesystem::path store_root_;
  std::optional<CacheSummary> cache_;
  std::string cache_model_path_;
  std::shared_ptr<CacheSession> session_;
  std::optional<QueryOutcome> query_;
  int32_t capture_layer_ = 0, capture_head_ = 0;
};

// The model loader the studio uses everywhere; a refusal of the context limit names the Model page's
// setting.
std::unique_ptr<LlamaModel> load_studio_model(std::shared_ptr<const GgufFile> file,
                                              const StudioLoad& how = {});

}  // namespace dbsa::ui
