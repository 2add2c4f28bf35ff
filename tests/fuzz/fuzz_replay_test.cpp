// Replays every committed seed (corpus/<target>/) and every saved finding (regressions/<target>/) through
// the harness its fuzzer runs, so the fuzz contracts are checked in every build (CI never fuzzes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "block_view_harness.h"
#include "cache_folder_harness.h"
#include "dataset_loaders_harness.h"
#include "gguf_reader_harness.h"

namespace dbsa::fuzz {
namespace {

struct Target {
  const char* name;
  void (*check)(std::span<const uint8_t>);
};

// Test names and failure messages show the target, not the struct's bytes.
void PrintTo(const Target& t, std::ostream* os) {
  *os << t.name;
}

const Target kTargets[] = {
    {"gguf_reader", &check_gguf_reader},
    {"dataset_loaders", &check_dataset_loaders},
    {"block_view", &check_block_view},
    {"cache_folder", &check_cache_folder},
};

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void replay(const Target& t, const std::filesystem::path& file) {
  const auto bytes = read_bytes(file);
  try {
    t.check(bytes);
  } catch (const std::exception& e) {
    ADD_FAILURE() << file << ": " << e.what();
  }
}

class FuzzReplay : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzReplay, EverySeedKeepsTheContract) {
  const auto seeds = files_in(std::filesystem::path(DBSA_FUZZ_DIR) / "corpus" / GetParam().name);
  // An empty folder would pass vacuously: the seed writers make at least this many per target.
  ASSERT_GE(seeds.size(), 5u) << "no committed seed corpus for " << GetParam().name;
  for (const auto& f : seeds) replay(GetParam(), f);
}

TEST_P(FuzzReplay, EveryRegressionInputKeepsTheContract) {
  const auto inputs = files_in(std::filesystem::path(DBSA_FUZZ_DIR) / "regressions" / GetParam().name);
  if (inputs.empty()) GTEST_SKIP() << "no saved findings for " << GetParam().name;
  for (const auto& f : inputs) replay(GetParam(), f);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<Target>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace dbsa::fuzz
