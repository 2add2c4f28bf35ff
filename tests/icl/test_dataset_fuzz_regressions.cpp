// Findings of tests/fuzz/dataset_loaders_harness.cpp: label wordings the loaders took without checking
// (not UTF-8, or one wording for two ids), a test split whose labels were never checked against train
// labels, label sets that constrained decoding could not tell apart, and a JSON error that escaped. The
// inputs are in tests/fuzz/regressions/dataset_loaders/ too.
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include "icl/dataset_loaders.h"
#include "icl/label_set.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

using test::write_file;

template <typename F>
std::string dataset_error(F&& f) {
  try {
    f();
  } catch (const DatasetError& e) {
    return e.what();
  }
  return "(no DatasetError)";
}

std::filesystem::path nlu_dir(const std::string& name, const std::string& labels) {
  const auto dir = test::scratch_dir(name);
  write_file(dir / "labels.txt", labels);
  write_file(dir / "train.csv", "text,scenario,label\nwake me up at five,alarm,1\n");
  write_file(dir / "test.csv", "text,scenario,label\nwhat alarms are set,alarm,0\n");
  return dir;
}

// The fuzzer's input, cut to its labels.txt: a wording with the bytes 0x8C 0x05 0x00 0x80.
TEST(DatasetFuzzRegressions, NluLabelWordingThatIsNotUtf8IsRefused) {
  const char labels[] = "0\talarU\x8c\x05\x00\x80`m query\n1\talarm set\n";
  const auto dir = nlu_dir("nlu_label_utf8", std::string(labels, sizeof labels - 1));
  const std::string msg = dataset_error([&] { load_nlu(dir); });
  EXPECT_NE(msg.find("labels.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("label 0 is not valid UTF-8"), std::string::npos) << msg;
}

TEST(DatasetFuzzRegressions, NluWordingGivenTwiceIsRefused) {
  const auto dir = nlu_dir("nlu_label_twice", "0\talarm set\n1\talarm set\n");
  const std::string msg = dataset_error([&] { load_nlu(dir); });
  EXPECT_NE(msg.find("label 1 'alarm set' repeats label 0"), std::string::npos) << msg;
}

TEST(DatasetFuzzRegressions, TrecLabelNamesMustBeUtf8AndDistinct) {
  const auto dir = test::scratch_dir("trec_label_names");
  write_file(dir / "train_5500.label", "ABBR:exp What does NASA stand for ?\n");
  write_file(dir / "TREC_10.label", "DESC:def What is a cat ?\n");
  write_file(dir / "labels.tsv", "ABBR\tabbr\xe9viation\nDESC\tdescription\nABBR:exp\tx\nDESC:def\ty\n");
  std::string msg = dataset_error([&] { load_trec(dir, TrecGranularity::Coarse); });
  EXPECT_NE(msg.find("coarse label 0 is not valid UTF-8"), std::string::npos) << msg;
  write_file(dir / "labels.tsv", "ABBR\tabbreviation\nDESC\tdescription\nABBR:exp\tsame\nDESC:def\tsame\n");
  msg = dataset_error([&] { load_trec(dir, TrecGranularity::Fine); });
  EXPECT_NE(msg.find("fine label 1 'same' repeats fine label 0"), std::string::npos) << msg;
}

// `card_arrival` and `card arrival` are two categories but one prompt wording.
TEST(DatasetFuzzRegressions, Banking77CategoriesShownAlikeAreRefused) {
  const auto dir = test::scratch_dir("banking_alike");
  write_file(dir / "categories.json", "[\"card arrival\", \"card_arrival\", \"age_limit\"]");
  write_file(dir / "train.csv", "text,category\nwhere is it,card_arrival\n");
  write_file(dir / "test.csv", "text,category\nhow old,age_limit\n");
  const std::string msg = dataset_error([&] { load_banking77(dir); });
  EXPECT_NE(msg.find("categories.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'card arrival' repeats"), std::string::npos) << msg;
  // Case variants that are not next to each other after the case-insensitive sort were missed too.
  write_file(dir / "categories.json", "[\"a\", \"A\", \"a\"]");
  EXPECT_NE(dataset_error([&] { load_banking77(dir); }).find("'a' repeats"), std::string::npos);
}

TEST(DatasetFuzzRegressions, LabelMapWithARepeatedNameIsRefused) {
  const auto dir = test::scratch_dir("label_map_twice");
  write_file(
      dir / "label_maps.json",
      "{\"clinic150\": {\"id_to_raw\": [\"a\", \"b\", \"a\"], \"id_to_verbalizer\": [\"x\", \"y\", \"z\"]}}");
  std::string msg = dataset_error([&] { load_label_map(dir / "label_maps.json", "clinic150"); });
  EXPECT_NE(msg.find("clinic150.id_to_raw label 2 'a' repeats clinic150.id_to_raw label 0"),
            std::string::npos)
      << msg;
  write_file(dir / "label_maps.json",
             "{\"clinic150\": {\"id_to_raw\": [\"a\", \"b\"], \"id_to_verbalizer\": [\"x\", \"x\"]}}");
  msg = dataset_error([&] { load_label_map(dir / "label_maps.json", "clinic150"); });
  EXPECT_NE(msg.find("clinic150.id_to_verbalizer label 1 'x' repeats"), std::string::npos) << msg;
}

// With no train rows no labels were discovered, and the test file's rows then discovered their own:
// labels the demonstrations never show.
TEST(DatasetFuzzRegressions, GenericTestLabelsNeedTrainLabels) {
  const auto dir = test::scratch_dir("generic_empty_train");
  write_file(dir / "train.csv", "text,label\n");
  write_file(dir / "test.csv", "text,label\nhello,greet\n");
  GenericSource src;
  src.file = dir / "train.csv";
  const std::string msg =
      dataset_error([&] { load_generic_dataset("g", src, dir / "test.csv", PromptTemplate{}); });
  EXPECT_NE(msg.find("train.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no labels"), std::string::npos) << msg;
}

// nlohmann's parse reports a number too large for a double (1e999) as out_of_range, not parse_error, and
// that escaped every loader as an exception naming no file. The fuzzer's input: a categories.json of
// " 883e883err\xff\xff{\0\n".
TEST(DatasetFuzzRegressions, JsonNumberOverflowIsADatasetError) {
  const auto dir = test::scratch_dir("json_overflow");
  const char cats[] = " 883e883err\xff\xff{\0\n";
  write_file(dir / "categories.json", std::string(cats, sizeof cats - 1));
  write_file(dir / "train.csv", "text,category\n");
  write_file(dir / "test.csv", "text,category\n");
  std::string msg = dataset_error([&] { load_banking77(dir); });
  EXPECT_NE(msg.find("categories.json: invalid JSON"), std::string::npos) << msg;

  write_file(dir / "label_maps.json", "{\"clinic150\": 1e999}");
  msg = dataset_error([&] { load_label_map(dir / "label_maps.json", "clinic150"); });
  EXPECT_NE(msg.find("label_maps.json: invalid JSON"), std::string::npos) << msg;

  write_file(dir / "data_full.json", "{\"train\": [[\"a\", 2e400]]}");
  LabelMap map{{"x"}, {"x"}};
  msg = dataset_error([&] { load_clinic150(dir / "data_full.json", map); });
  EXPECT_NE(msg.find("data_full.json: invalid JSON"), std::string::npos) << msg;

  // A JSONL row is a bad row like any other: an error naming its line, or a counted skip.
  write_file(dir / "rows.jsonl",
             "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": 1e999}\n");
  GenericSource src;
  src.file = dir / "rows.jsonl";
  std::vector<std::string> labels;
  std::vector<SkippedRow> skipped;
  LoadOptions strict;
  RowErrorSink fail(strict, skipped);
  msg = dataset_error([&] { load_generic_rows(src, labels, fail); });
  EXPECT_NE(msg.find("rows.jsonl:2: invalid JSON"), std::string::npos) << msg;
  LoadOptions skip;
  skip.skip_bad_rows = true;
  RowErrorSink count(skip, skipped);
  labels.clear();
  EXPECT_EQ(load_generic_rows(src, labels, count).size(), 1u);
  EXPECT_EQ(skipped.size(), 1u);
}

// A label holding the newline token: after padding, {1, 2} + newline equals the other label's tokens,
// so decoding could never yield the second label.
TEST(DatasetFuzzRegressions, LabelContainingTheNewlineTokenIsRefused) {
  constexpr TokenId kNewline = 10;
  EXPECT_THROW(shorten_labels({"a", "a\n"}, {{1, 2}, {1, 2, kNewline}}, kNewline), std::invalid_argument);
  EXPECT_THROW(shorten_labels({"\n"}, {{kNewline}}, kNewline), std::invalid_argument);
}

}  // namespace
}  // namespace dbsa
