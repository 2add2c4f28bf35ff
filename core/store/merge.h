#pragma once
// Merging shard databases: runs are identified by their uuid across files, so merging is idempotent
// (merging the same shard twice adds nothing).
#include <cstdint>
#include <filesystem>
#include <vector>

namespace dbsa {

class ResultsDb;

struct MergeStats {
  std::filesystem::path source;
  int64_t copied = 0;    // runs new to the destination (with their predictions and aggregates)
  int64_t replaced = 0;  // runs the destination had unfinished and the source has finished
  int64_t skipped = 0;   // runs already in the destination
};

// Copies every run whose uuid is not yet in `destination` (and replaces a destination run that is not
// finished by the source's finished one, so merging a shard again after it completed brings its
// results). One transaction per source. All sources are opened (read-only, never modified) and
// checked before anything is written, so a bad source leaves the destination untouched.
std::vector<MergeStats> merge_into(ResultsDb& destination, const std::vector<std::filesystem::path>& sources);

// As above, opening (creating when missing) the destination file.
std::vector<MergeStats> merge_into(const std::filesystem::path& destination,
                                   const std::vector<std::filesystem::path>& sources);

}  // namespace dbsa
