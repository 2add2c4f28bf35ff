#pragma once
// Where an encode's demonstration pool comes from, loaded the same way by `dbsa encode` and the studio:
// a seeded draw from a paper dataset's training split, or a prepared pool file (JSONL) with the template
// of a dataset or given prefixes. Grouping the pool into blocks by token length needs the model's
// tokenizer: group_pool() counts tokens as the pre-encoding will see them (no BOS).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "icl/dataset.h"
#include "icl/grouping.h"
#include "icl/template.h"
#include "text/tokenizer.h"

namespace dbsa {

struct PoolSource {
  std::string dataset;             // a paper dataset name; empty with a pool file and prefixes
  std::filesystem::path data_dir;  // with dataset: draw from its training split (unless pool_file)
  std::filesystem::path pool_file;
  int64_t pool_size = 0;  // demonstrations to draw (a draw needs it > 0)
  uint64_t seed = 0;
  std::string x_prefix, y_prefix;  // override the template (a pool file without dataset needs them)
  bool skip_bad_rows = false;
};

struct LoadedPool {
  std::string dataset;  // the dataset name, or "pool-file"
  PromptTemplate prompt;
  std::vector<std::string> labels;  // prompt wordings in label-id order
  std::vector<Example> demos;       // in pool order
  std::vector<SkippedRow> skipped;  // rows skipped with skip_bad_rows (report them)
};

// Throws std::runtime_error naming the missing option (prefixed "encode: ") or the loaders' errors
// naming file and line.
LoadedPool load_pool_source(const PoolSource& src);

// The grouping `grouping` of the pool into blocks of at most block_demos, in-order balancing by the
// tokens `tok` gives each formatted demonstration.
Blocks group_pool(const std::vector<Example>& demos, const PromptTemplate& prompt, const Tokenizer& tok,
                  std::string_view grouping, size_t block_demos, uint64_t seed);

}  // namespace dbsa
