// Bad rows: an error naming file and line, or a counted skip with skip_bad_rows; and the CSV reader's
// edge cases, on small files written into a scratch folder.
#include <gtest/gtest.h>

#include <fstream>

#include "icl/csv_reader.h"
#include "icl/dataset_loaders.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

using test::write_file;

// Runs f, expects a DatasetError whose message contains every fragment.
template <typename F>
void expect_error(F&& f, const std::vector<std::string>& fragments) {
  try {
    f();
    FAIL() << "expected a DatasetError";
  } catch (const DatasetError& e) {
    const std::string msg = e.what();
    for (const auto& frag : fragments)
      EXPECT_NE(msg.find(frag), std::string::npos) << msg << " lacks " << frag;
  }
}

std::filesystem::path trec_dir(const std::string& name, const std::string& train) {
  auto dir = test::scratch_dir(name);
  write_file(dir / "labels.tsv",
             "ABBR\tabbreviation\nDESC\tdescription\nABBR:exp\tabbreviation expansion\n"
             "DESC:def\tdescription definition\n");
  write_file(dir / "train_5500.label", train);
  write_file(dir / "TREC_10.label", "DESC:def What is a cat ?\n");
  return dir;
}

TEST(BadRows, TrecUnknownTagNamesFileAndLine) {
  const auto dir = trec_dir("trec_bad", "ABBR:exp What does NASA stand for ?\nHUM:ind Who wrote it ?\n");
  expect_error([&] { load_trec(dir, TrecGranularity::Coarse); },
               {"train_5500.label:2:", "unknown coarse label tag 'HUM'"});
  expect_error([&] { load_trec(dir, TrecGranularity::Fine); }, {"train_5500.label:2:", "'HUM:ind'"});
}

// Files from Windows tools: a UTF-8 byte order mark and CRLF line ends read like LF files.
TEST(BadRows, ByteOrderMarkAndCrlfAreAccepted) {
  const auto trec = trec_dir("trec_bom",
                             "\xEF\xBB\xBF"
                             "ABBR:exp What does NASA stand for ?\r\nDESC:def What ?\r\n");
  const Dataset t = load_trec(trec, TrecGranularity::Coarse);
  ASSERT_EQ(t.train.size(), 2u);
  EXPECT_EQ(t.train[0].text, "What does NASA stand for ?");
  EXPECT_EQ(t.train[1].text, "What ?");
  EXPECT_EQ(t.train[0].label_id, 0);

  auto dir = test::scratch_dir("banking_crlf");
  write_file(dir / "categories.json", "\xEF\xBB\xBF[\"card_arrival\", \"age_limit\"]\r\n");
  write_file(dir / "train.csv",
             "\xEF\xBB\xBFtext,category\r\nwhere is my card,card_arrival\r\nhow old,age_limit\r\n");
  write_file(dir / "test.csv", "text,category\r\nhow old,age_limit\r\n");
  const Dataset b = load_banking77(dir);
  ASSERT_EQ(b.train.size(), 2u);
  EXPECT_EQ(b.train[0].text, "where is my card");
  EXPECT_EQ(b.train[1].label, "age limit");  // ids follow the sorted names (banking77_loader.cpp)
}

TEST(BadRows, FolderGivenAsFileIsNamed) {
  auto dir = test::scratch_dir("trec_folder");
  std::filesystem::create_directories(dir / "train_5500.label");
  write_file(dir / "labels.tsv", "ABBR\tabbreviation\nABBR:exp\tabbreviation expansion\n");
  write_file(dir / "TREC_10.label", "ABBR:exp What is NASA ?\n");
  expect_error([&] { load_trec(dir, TrecGranularity::Coarse); }, {"train_5500.label", "is a folder"});
  try {
    load_trec(dir, TrecGranularity::Coarse);
  } catch (const DatasetError& e) {
    const std::string msg = e.what(), file = (dir / "train_5500.label").string();
    EXPECT_EQ(msg.find(file), msg.rfind(file)) << "the file is named twice: " << msg;
  }
}

TEST(BadRows, TrecSkipIsCountedAndReported) {
  const auto dir = trec_dir(
      "trec_skip", "ABBR:exp What does NASA stand for ?\nnot a row\nHUM:ind Who ?\nDESC:def What ?\n");
  LoadOptions opts;
  opts.skip_bad_rows = true;
  const Dataset ds = load_trec(dir, TrecGranularity::Coarse, opts);
  ASSERT_EQ(ds.train.size(), 2u);
  EXPECT_EQ(ds.train[1].source_line, 4u);
  ASSERT_EQ(ds.skipped.size(), 2u);
  EXPECT_EQ(ds.skipped[0].line, 2u);
  EXPECT_EQ(ds.skipped[1].line, 3u);
  EXPECT_EQ(ds.skipped[0].file.filename(), "train_5500.label");
  EXPECT_NE(ds.skipped[1].reason.find("HUM"), std::string::npos);
  const std::string summary = describe_skips(ds.skipped, 1);
  EXPECT_EQ(summary.rfind("skipped 2 bad rows\n  ", 0), 0u) << summary;
  EXPECT_NE(summary.find("train_5500.label:2: expected `COARSE:fine question text`"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("... and 1 more"), std::string::npos) << summary;
  EXPECT_EQ(describe_skips({}), "");
}

std::filesystem::path banking_dir(const std::string& name, const std::string& train) {
  auto dir = test::scratch_dir(name);
  write_file(dir / "categories.json", R"(["card_arrival", "Refund_not_showing_up", "age_limit"])");
  write_file(dir / "train.csv", train);
  write_file(dir / "test.csv", "text,category\nhow old,age_limit\n");
  return dir;
}

TEST(BadRows, Banking77CaseInsensitiveOrderAndErrors) {
  {
    const auto dir = banking_dir(
        "bank_ok",
        "text,category\r\n\"a, \"\"quoted\"\"\r\nline\",Refund_not_showing_up\r\nb,card_arrival\r\n");
    const Dataset ds = load_banking77(dir);
    EXPECT_EQ(ds.labels, (std::vector<std::string>{"age limit", "card arrival", "Refund not showing up"}));
    ASSERT_EQ(ds.train.size(), 2u);
    EXPECT_EQ(ds.train[0].text, "a, \"quoted\"\r\nline");
    EXPECT_EQ(ds.train[0].label_id, 2);
    EXPECT_EQ(ds.train[1].source_line, 4u);  // the quoted field spans lines 2-3
  }
  {
    const auto dir = banking_dir("bank_unknown", "text,category\nx,card_arrival\ny,lost_card\n");
    expect_error([&] { load_banking77(dir); }, {"train.csv:3:", "unknown category 'lost_card'"});
  }
  {
    const auto dir = banking_dir("bank_missing", "text,category\nx,card_arrival\nonly text\n");
    expect_error([&] { load_banking77(dir); }, {"train.csv:3:", "expected 2 fields, found 1"});
  }
  {
    const auto dir = banking_dir("bank_utf8", "text,category\nx,card_arrival\nbad \xff byte,age_limit\n");
    expect_error([&] { load_banking77(dir); }, {"train.csv:3:", "invalid UTF-8", "byte 4"});
    LoadOptions opts;
    opts.skip_bad_rows = true;
    const Dataset ds = load_banking77(dir, opts);
    EXPECT_EQ(ds.train.size(), 1u);
    ASSERT_EQ(ds.skipped.size(), 1u);
    EXPECT_EQ(ds.skipped[0].line, 3u);
  }
  {
    const auto dir = banking_dir("bank_header", "sentence,category\nx,card_arrival\n");
    expect_error([&] { load_banking77(dir); }, {"train.csv:1:", "column named 'text'"});
  }
  {
    const auto dir = banking_dir("bank_quote", "text,category\n\"never closed,card_arrival\n");
    expect_error([&] { load_banking77(dir); }, {"train.csv:2:", "not closed"});
  }
}

TEST(BadRows, NluLabelIdsAndLabelsFile) {
  auto dir = test::scratch_dir("nlu_bad");
  write_file(dir / "labels.txt", "0\talarm query\n1\talarm set\n");
  write_file(dir / "train.csv", "text,scenario,label\nwake me,alarm,1\nbad,alarm,7\nworse,alarm,x\n");
  write_file(dir / "test.csv", "text,scenario,label\nwhat alarms,alarm,0\n");
  expect_error([&] { load_nlu(dir); }, {"train.csv:3:", "label id in [0, 2)", "'7'"});
  LoadOptions opts;
  opts.skip_bad_rows = true;
  const Dataset ds = load_nlu(dir, opts);
  EXPECT_EQ(ds.train.size(), 1u);
  EXPECT_EQ(ds.skipped.size(), 2u);
  EXPECT_EQ(ds.test[0].label, "alarm query");
  write_file(dir / "labels.txt", "0\talarm query\n2\talarm set\n");
  expect_error([&] { load_nlu_labels(dir / "labels.txt"); }, {"labels.txt:2:", "expected id 1"});
}

TEST(BadRows, ClinicUnknownIntentAndShape) {
  auto dir = test::scratch_dir("clinic_bad");
  write_file(
      dir / "data.json",
      R"({"train": [["hi", "greeting"], ["what", "weather"], ["x"]], "test": [], "oos_train": [], "oos_test": []})");
  LabelMap map{{"greeting", "oos"}, {"greeting", "oos"}};
  expect_error([&] { load_clinic150(dir / "data.json", map); },
               {"data.json:2:", "train[1]", "unknown intent 'weather'"});
  LoadOptions opts;
  opts.skip_bad_rows = true;
  const Dataset ds = load_clinic150(dir / "data.json", map, opts);
  EXPECT_EQ(ds.train.size(), 1u);
  ASSERT_EQ(ds.skipped.size(), 2u);
  EXPECT_NE(ds.skipped[1].reason.find("[text, intent]"), std::string::npos);
  write_file(dir / "broken.json", R"({"train": [["hi", "greeting"],)");
  expect_error([&] { load_clinic150(dir / "broken.json", map); }, {"broken.json", "invalid JSON"});
}

TEST(BadRows, IndexListParser) {
  auto dir = test::scratch_dir("index_list");
  write_file(dir / "ok.txt", "[3, 1,\n 2,]\n");
  EXPECT_EQ(load_index_list(dir / "ok.txt"), (std::vector<std::size_t>{3, 1, 2}));
  write_file(dir / "empty.txt", "[]");
  EXPECT_TRUE(load_index_list(dir / "empty.txt").empty());
  write_file(dir / "bad.txt", "[1, 2,\n -3]");
  expect_error([&] { load_index_list(dir / "bad.txt"); }, {"bad.txt:2:", "non-negative integer"});
  write_file(dir / "trail.txt", "[1] 2");
  expect_error([&] { load_index_list(dir / "trail.txt"); }, {"after the list"});
  std::vector<Example> rows(2);
  expect_error([&] { select_rows(rows, {0, 5}, "idx"); }, {"index #1 = 5", "2 rows"});
}

TEST(BadRows, GenericCsvTsvJsonl) {
  auto dir = test::scratch_dir("generic");
  write_file(dir / "train.tsv", "label\ttext\nsad_face\tawful day\nhappy\tgreat day\n");
  write_file(dir / "test.jsonl",
             "{\"text\": \"so so\", \"label\": \"happy\"}\n\n{\"text\": \"meh\", \"label\": \"angry\"}\n");
  GenericSource src;
  src.file = dir / "train.tsv";
  expect_error(
      [&] {
        load_generic_dataset("mood", src, dir / "test.jsonl", {"x: ", "y: "});
      },
      {"test.jsonl:3:", "unknown label 'angry'"});
  LoadOptions opts;
  opts.skip_bad_rows = true;
  const Dataset ds = load_generic_dataset("mood", src, dir / "test.jsonl", {"x: ", "y: "}, {}, opts);
  EXPECT_EQ(ds.labels, (std::vector<std::string>{"sad face", "happy"}));
  ASSERT_EQ(ds.train.size(), 2u);
  EXPECT_EQ(ds.train[0].text, "awful day");
  ASSERT_EQ(ds.test.size(), 1u);
  EXPECT_EQ(ds.test[0].label_id, 1);
  EXPECT_EQ(ds.skipped.size(), 1u);

  write_file(dir / "ids.csv", "text,y\nfoo,1\nbar,3\n");
  GenericSource ids;
  ids.file = dir / "ids.csv";
  ids.label_column = "y";
  ids.label_is_id = true;
  std::vector<std::string> labels{"zero", "one"};
  std::vector<SkippedRow> skipped;
  LoadOptions strict;
  RowErrorSink errors(strict, skipped);
  expect_error([&] { load_generic_rows(ids, labels, errors); }, {"ids.csv:3:", "label id in [0, 2)"});
  write_file(dir / "x.txt", "a");
  GenericSource unknown;
  unknown.file = dir / "x.txt";
  expect_error([&] { load_generic_rows(unknown, labels, errors); }, {"x.txt", "extension '.txt'"});
  write_file(dir / "rows.jsonl", "{\"text\": 5, \"label\": \"one\"}\n");
  GenericSource js;
  js.file = dir / "rows.jsonl";
  expect_error([&] { load_generic_rows(js, labels, errors); }, {"rows.jsonl:1:", "string field 'text'"});
}

TEST(CsvReader, EdgeCases) {
  CsvReader r("mem.csv",
              "\xEF\xBB\xBF"
              "a,\"b\"\"c\",\n\n\"d\ne\",f\r\ng,\"\"");
  CsvRecord rec;
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.fields, (std::vector<std::string>{"a", "b\"c", ""}));
  EXPECT_EQ(rec.line, 1u);
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.fields, (std::vector<std::string>{"d\ne", "f"}));
  EXPECT_EQ(rec.line, 3u);
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.fields, (std::vector<std::string>{"g", ""}));
  EXPECT_EQ(rec.line, 5u);
  EXPECT_FALSE(r.next(rec));

  CsvReader literal("mem.csv", "say \"hi\" now,x\n");
  ASSERT_TRUE(literal.next(rec));
  EXPECT_EQ(rec.fields[0], "say \"hi\" now");  // like Python's csv module
  CsvReader junk("mem.csv", "a\n\"b\"c,d\n");
  ASSERT_TRUE(junk.next(rec));
  expect_error([&] { junk.next(rec); }, {"mem.csv:2:", "after a closing quote"});
  CsvReader tsv("mem.tsv", "a\t\"b\"\n", CsvDialect{'\t', false});
  ASSERT_TRUE(tsv.next(rec));
  EXPECT_EQ(rec.fields[1], "\"b\"");
}

}  // namespace
}  // namespace dbsa
