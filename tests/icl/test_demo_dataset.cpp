// The generated demo dataset loads through the real TREC loaders (train, test, test subset) with the
// requested sizes, every class present, and the same bytes for the same seed.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "icl/dataset_loaders.h"
#include "icl/demo_dataset.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(DemoDataset, LoadsAsTrecWithEveryClass) {
  const auto dir = test::scratch_dir("icl_demo_dataset");
  DemoDatasetOptions o;
  o.train_per_class = 7;
  o.test_per_class = 3;
  write_demo_dataset(dir, o);
  const Dataset ds = load_paper_dataset("trec", dir);
  ASSERT_EQ(ds.labels.size(), 6u);
  EXPECT_EQ(ds.labels[0], "abbreviation");
  EXPECT_EQ(ds.labels[5], "numeric");
  EXPECT_EQ(ds.train.size(), 42u);
  EXPECT_EQ(ds.test.size(), 18u);
  std::vector<int> per_class(6, 0);
  for (const auto& e : ds.train) ++per_class[static_cast<size_t>(e.label_id)];
  for (const int n : per_class) EXPECT_EQ(n, 7);
  const auto subset = load_paper_test_subset(ds, dir);
  ASSERT_EQ(subset.size(), 18u);
  // The subset is the test split with the same labels (ids in the CSV agree with the label file).
  for (size_t i = 0; i < subset.size(); ++i) {
    EXPECT_EQ(subset[i].text, ds.test[i].text);
    EXPECT_EQ(subset[i].label_id, ds.test[i].label_id);
  }
  const Dataset fine = load_paper_dataset("trec-fine", dir);
  EXPECT_EQ(fine.labels.size(), 6u);
  EXPECT_EQ(fine.labels[0], "abbreviation expansion");
}

TEST(DemoDataset, SameSeedSameBytesOtherSeedOtherDraw) {
  const auto a = test::scratch_dir("icl_demo_a"), b = test::scratch_dir("icl_demo_b"),
             c = test::scratch_dir("icl_demo_c");
  write_demo_dataset(a, {});
  write_demo_dataset(b, {});
  DemoDatasetOptions other;
  other.seed = 2;
  write_demo_dataset(c, other);
  for (const char* f :
       {"trec/train_5500.label", "trec/TREC_10.label", "trec/labels.tsv", "splits/test250-trec.csv"})
    EXPECT_EQ(slurp(a / f), slurp(b / f)) << f;
  EXPECT_NE(slurp(a / "trec/train_5500.label"), slurp(c / "trec/train_5500.label"));
  DemoDatasetOptions bad;
  bad.test_per_class = 0;
  EXPECT_THROW(write_demo_dataset(c, bad), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa
