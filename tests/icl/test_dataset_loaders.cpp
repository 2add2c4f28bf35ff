// The loaders on the real files in ../shared/data: row counts as data/README.md states them, label
// orders as splits/label_maps.json, and the paper's 250-example test subsets.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "icl/dataset_loaders.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

std::filesystem::path data_dir() {
  return test::data("");
}
std::filesystem::path label_maps() {
  return test::data("splits/label_maps.json");
}

void expect_labels_consistent(const Dataset& ds) {
  for (const auto* split : {&ds.train, &ds.test})
    for (const auto& e : *split) {
      ASSERT_GE(e.label_id, 0);
      ASSERT_LT(static_cast<std::size_t>(e.label_id), ds.labels.size());
      ASSERT_EQ(e.label, ds.labels[static_cast<std::size_t>(e.label_id)]) << e.text;
      ASSERT_FALSE(e.text.empty());
    }
  EXPECT_TRUE(ds.skipped.empty());
}

TEST(DatasetLoaders, TrecCoarseCountsAndLabels) {
  const Dataset ds = load_paper_dataset("trec", data_dir());
  EXPECT_EQ(ds.train.size(), 5452u);
  EXPECT_EQ(ds.test.size(), 500u);
  EXPECT_EQ(ds.labels, load_label_map(label_maps(), "trec_coarse").id_to_verbalizer);
  expect_labels_consistent(ds);
  EXPECT_EQ(ds.train[0].text, "How did serfdom develop in and then leave Russia ?");
  EXPECT_EQ(ds.train[0].label, "description");
  EXPECT_EQ(ds.train[0].source_line, 1u);
  EXPECT_EQ(ds.prompt, (PromptTemplate{"Question: ", "Type: "}));
}

TEST(DatasetLoaders, TrecFineLabelsFollowThePaper) {
  const Dataset ds = load_paper_dataset("trec-fine", data_dir());
  EXPECT_EQ(ds.name, "trec-fine");
  EXPECT_EQ(ds.train.size(), 5452u);
  EXPECT_EQ(ds.test.size(), 500u);
  ASSERT_EQ(ds.labels.size(), 50u);
  EXPECT_EQ(ds.labels, load_label_map(label_maps(), "trec_fine").id_to_verbalizer);
  expect_labels_consistent(ds);
  EXPECT_EQ(ds.train[0].label, "description manner");
}

TEST(DatasetLoaders, TrecStrayLatin1ByteBecomesUtf8) {
  const Dataset ds = load_paper_dataset("trec", data_dir());
  // train_5500.label line 66 has the single byte 0xF0 (latin-1 'ð') between "sister" and "city".
  const auto it =
      std::find_if(ds.train.begin(), ds.train.end(), [](const Example& e) { return e.source_line == 66; });
  ASSERT_NE(it, ds.train.end());
  EXPECT_EQ(it->text,
            "Which city has the oldest relationship as a sister\xC3\xB0"
            "city with Los Angeles ?");
  EXPECT_EQ(it->label, "location");
}

TEST(DatasetLoaders, Banking77) {
  const Dataset ds = load_paper_dataset("banking77", data_dir());
  EXPECT_EQ(ds.train.size(), 10003u);
  EXPECT_EQ(ds.test.size(), 3080u);
  ASSERT_EQ(ds.labels.size(), 77u);
  EXPECT_EQ(ds.labels, load_label_map(label_maps(), "banking77").id_to_verbalizer);
  expect_labels_consistent(ds);
  EXPECT_EQ(ds.train[0].text, "I am still waiting on my card?");
  EXPECT_EQ(ds.train[0].label, "card arrival");
  EXPECT_EQ(ds.train[0].source_line, 2u);
  // Quoted fields: escaped quotes and line breaks inside quotes survive.
  const bool has_escaped_quote = std::any_of(ds.test.begin(), ds.test.end(), [](const Example& e) {
    return e.text == "Where can I find the \"auto-top\" feature?";
  });
  EXPECT_TRUE(has_escaped_quote);
  const auto multi = std::count_if(ds.train.begin(), ds.train.end(),
                                   [](const Example& e) { return e.text.find('\n') != std::string::npos; });
  EXPECT_EQ(multi, 10);
  EXPECT_EQ(ds.prompt, (PromptTemplate{"query: ", "intent: "}));
}

TEST(DatasetLoaders, Clinic150AsThePaperWithOos) {
  const Dataset ds = load_paper_dataset("clinic150", data_dir());
  EXPECT_EQ(ds.train.size(), 15000u + 100u);
  EXPECT_EQ(ds.test.size(), 4500u + 1000u);
  ASSERT_EQ(ds.labels.size(), 151u);
  EXPECT_EQ(ds.labels[42], "oos");
  expect_labels_consistent(ds);
  // In-scope rows first, then the out-of-scope rows (HF "plus" order).
  EXPECT_NE(ds.train[14999].label, "oos");
  EXPECT_EQ(ds.train[15000].label, "oos");
  EXPECT_EQ(ds.test[4500].label, "oos");
}

TEST(DatasetLoaders, Clinic150SplitsAndWithoutOos) {
  const auto file = test::data("clinic150/data_full.json");
  const LabelMap map = load_label_map(label_maps(), "clinic150");
  LoadOptions opts;
  std::vector<SkippedRow> skipped;
  RowErrorSink errors(opts, skipped);
  EXPECT_EQ(load_clinic150_split(file, "val", map, errors).size(), 3000u);
  EXPECT_EQ(load_clinic150_split(file, "oos_val", map, errors).size(), 100u);
  const Dataset ds = load_clinic150(file, map, {}, /*include_oos=*/false);
  EXPECT_EQ(ds.train.size(), 15000u);
  EXPECT_EQ(ds.test.size(), 4500u);
  EXPECT_EQ(ds.labels.size(), 150u);
  EXPECT_LT(ds.label_index("oos"), 0);
  expect_labels_consistent(ds);
  EXPECT_THROW(load_paper_test_subset(ds, data_dir()), std::invalid_argument);
}

TEST(DatasetLoaders, Nlu) {
  const Dataset ds = load_paper_dataset("nlu", data_dir());
  EXPECT_EQ(ds.train.size(), 19287u);
  EXPECT_EQ(ds.test.size(), 250u);
  ASSERT_EQ(ds.labels.size(), 68u);
  EXPECT_EQ(ds.labels, load_label_map(label_maps(), "nlu").id_to_verbalizer);
  expect_labels_consistent(ds);
  EXPECT_EQ(ds.train[0].text, "wake me up at five am this week");
  EXPECT_EQ(ds.train[0].label, "alarm set");
}

// The subset files and the index lists agree: test250[i] is row indices[i] of the full test split,
// with the same label (so ids in the subset map to the right wordings).
void expect_subset_matches_indices(const std::string& name, const std::string& indices_file) {
  const Dataset ds = load_paper_dataset(name, data_dir());
  const auto subset = load_paper_test_subset(ds, data_dir());
  ASSERT_EQ(subset.size(), 250u);
  const auto idx = load_index_list(test::data("splits/" + indices_file));
  ASSERT_EQ(idx.size(), 250u);
  const auto picked = select_rows(ds.test, idx, indices_file);
  for (std::size_t i = 0; i < 250; ++i) {
    EXPECT_EQ(subset[i].text, picked[i].text) << name << " row " << i;
    EXPECT_EQ(subset[i].label_id, picked[i].label_id) << name << " row " << i;
    EXPECT_EQ(subset[i].label, picked[i].label) << name << " row " << i;
  }
}

TEST(DatasetLoaders, TestSubsetsMatchIndexLists) {
  expect_subset_matches_indices("trec", "trec-indices.txt");
  expect_subset_matches_indices("trec-fine", "trec-indices.txt");
  expect_subset_matches_indices("banking77", "banking-indices.txt");
  expect_subset_matches_indices("clinic150", "clinic-indices.txt");
}

TEST(DatasetLoaders, ClinicSubsetHasTheOutOfScopeRows) {
  const Dataset ds = load_paper_dataset("clinic150", data_dir());
  const auto subset = load_paper_test_subset(ds, data_dir());
  const auto oos =
      std::count_if(subset.begin(), subset.end(), [](const Example& e) { return e.label == "oos"; });
  EXPECT_EQ(oos, 43);
}

TEST(DatasetLoaders, NluSubsetIsTheNluTestSplit) {
  const Dataset ds = load_paper_dataset("nlu", data_dir());
  const auto subset = load_paper_test_subset(ds, data_dir());
  ASSERT_EQ(subset.size(), ds.test.size());
  for (std::size_t i = 0; i < subset.size(); ++i) {
    EXPECT_EQ(subset[i].text, ds.test[i].text);
    EXPECT_EQ(subset[i].label, ds.test[i].label);
  }
  EXPECT_EQ(subset[0].text, "replay the required of the musics");
  EXPECT_EQ(subset[0].label, "music settings");
  // The paper's NLU subset indices are drawn from its NLU test map.
  const auto sub_idx = load_index_list(test::data("splits/nlu-test-indices.txt"));
  const auto map_idx = load_index_list(test::data("splits/map-nlu-test.txt"));
  EXPECT_EQ(sub_idx.size(), 250u);
  EXPECT_EQ(map_idx.size(), 6429u);
  const std::set<std::size_t> in_map(map_idx.begin(), map_idx.end());
  for (std::size_t i : sub_idx) EXPECT_TRUE(in_map.count(i)) << i;
}

TEST(DatasetLoaders, UnknownPaperDatasetIsRefused) {
  EXPECT_THROW(load_paper_dataset("sst2", data_dir()), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa
