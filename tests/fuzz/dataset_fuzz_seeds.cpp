// Writes the dataset-loader fuzzer's seed corpus: small inputs in the layout of
// dataset_loaders_harness.h that load (and a few bad rows) for every loader and option.
// Usage: dataset_fuzz_seeds DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dataset_loaders_harness.h"

namespace {

using dbsa::fuzz::DatasetLoader;
namespace fz = dbsa::fuzz;

const std::string kTrecLabels =
    "ABBR\tabbreviation\nLOC\tlocation\nNUM\tnumeric\nABBR:exp\tabbreviation expansion\n"
    "LOC:city\tlocation city\nNUM:dist\tnumeric distance\n";
const std::string kTrecTrain =
    "LOC:city What county is Modesto , California in ?\nNUM:dist How far is it from Denver to Aspen ?\n"
    "ABBR:exp What does NASA stand for ?\n";
// Latin-1 (0xF0 as in train_5500.label) and a CRLF line end.
const std::string kTrecTest = "LOC:city Where is Cairo ?\r\nNUM:dist How far is the moon from \xf0 ?\n";
const std::string kTrecSubset =
    "text,coarse_label,fine_label\nWhere is Cairo ?,1,1\n\"How far, really ?\",2,2\n";

const std::string kBankingCategories = "[\"card_arrival\", \"Card_linking\", \"exchange_rate\"]";
const std::string kBankingTrain =
    "\xEF\xBB\xBFtext,category\r\nHow do I locate my card?,card_arrival\r\n"
    "\"I still have not received my new card, I ordered \"\"over\"\" a week ago.\",card_arrival\r\n"
    "link it,Card_linking\r\n";
const std::string kBankingTest =
    "text,category\nwhat rate do you use?,exchange_rate\n\n\"multi\nline\",card_arrival\n";

std::string clinic_map(std::size_t n_labels) {
  std::string raw, verb;
  for (std::size_t i = 0; i < n_labels; ++i) {
    const std::string name = (i == 42 || (n_labels < 42 && i == 1)) ? "oos" : "intent_" + std::to_string(i);
    raw += (i ? ", \"" : "\"") + name + "\"";
    verb += (i ? ", \"" : "\"") + name + "\"";
  }
  return "{\"_note\": \"x\", \"clinic150\": {\"id_to_raw\": [" + raw + "], \"id_to_verbalizer\": [" + verb +
         "]}}";
}
const std::string kClinicData =
    "{\"train\": [[\"what's my balance\", \"intent_0\"], [\"tell me a joke\", \"oos\"]],\n"
    " \"test\": [[\"balance please\", \"intent_0\"], [\"caf\\u00e9\", \"intent_2\"]],\n"
    " \"oos_train\": [[\"is it raining on mars\", \"oos\"]], \"oos_test\": [], \"val\": []}";

const std::string kNluLabels = "0\talarm query\n1\talarm set\n2\tplay music\n";
const std::string kNluTrain =
    "text,scenario,label\nwake me up at five,alarm,1\nwhat alarms are set,alarm,0\n";
const std::string kNluTest = "text,scenario,label\nplay some jazz,music,2\n";
const std::string kNluSubset = "text,scenario,label\nplay some jazz,music,2\nwake me,alarm,1\n";

void write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes, int& count) {
  std::ofstream(dir / name, std::ios::binary) << bytes;
  ++count;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int n = 0;
  const auto in = fz::dataset_input;
  write(dir, "trec.seed",
        in(DatasetLoader::Trec, 0, {kTrecLabels, kTrecTrain, kTrecTest, kTrecSubset, "[1, 0,]"}), n);
  write(dir, "trec_fine.seed",
        in(DatasetLoader::TrecFine, 0, {kTrecLabels, kTrecTrain, kTrecTest, kTrecSubset}), n);
  write(dir, "trec_bad_row_skipped.seed",
        in(DatasetLoader::Trec, fz::kSkipBadRows,
           {kTrecLabels, kTrecTrain + "XYZ:abc Unknown tag ?\nnocolon\n", kTrecTest}),
        n);
  write(dir, "banking77.seed",
        in(DatasetLoader::Banking77, 0,
           {kBankingCategories, kBankingTrain, kBankingTest, "text,label\nwhat rate?,2\n", "[0, 1]"}),
        n);
  write(dir, "banking77_bad_rows_skipped.seed",
        in(DatasetLoader::Banking77, fz::kSkipBadRows,
           {kBankingCategories, kBankingTrain + "no such,category_x\nbad \xff utf8,card_arrival\n",
            kBankingTest}),
        n);
  write(dir, "clinic150.seed", in(DatasetLoader::Clinic150, 0, {kClinicData, clinic_map(3), "", "[1]"}), n);
  write(dir, "clinic150_subset.seed",
        in(DatasetLoader::Clinic150, 0,
           {kClinicData, clinic_map(151), "text,intent\nbalance please,0\nis it raining,42\n", "[0]"}),
        n);
  write(dir, "nlu.seed", in(DatasetLoader::Nlu, 0, {kNluLabels, kNluTrain, kNluTest, kNluSubset, "[0]"}), n);
  write(dir, "nlu_bad_rows_skipped.seed",
        in(DatasetLoader::Nlu, fz::kSkipBadRows,
           {kNluLabels, kNluTrain + "too,many,fields,here\nx,y,7\n", kNluTest}),
        n);
  const std::string csv = "text,label\nhello there,greet_user\n\"bye, now\",leave\n";
  write(dir, "generic_csv.seed", in(DatasetLoader::Generic, 0, {csv, "text,label\nhi,greet_user\n"}), n);
  write(dir, "generic_tsv_ids.seed",
        in(DatasetLoader::Generic, 2 | fz::kLabelIsId,
           {"text\tlabel\nhello\t0\nbye\t1\n", "", "greet\nleave\n"}),
        n);
  write(dir, "generic_jsonl.seed",
        in(DatasetLoader::Generic, 4 | fz::kKeepUnderscores,
           {"{\"text\": \"hello\", \"label\": \"greet_user\"}\n\n{\"text\": \"bye\", \"label\": 3}\n",
            "{\"text\": \"hi\", \"label\": \"greet_user\"}\n"}),
        n);
  write(dir, "generic_explicit_csv_known_labels.seed",
        in(DatasetLoader::Generic, fz::kGenericExplicit | fz::kSkipBadRows, {csv, "", "greet user\nleave\n"}),
        n);
  write(dir, "generic_unknown_extension.seed", in(DatasetLoader::Generic, 6, {csv}), n);
  write(dir, "label_set.seed",
        in(DatasetLoader::LabelSet, 10, {"\x01\x02", "\x01\x02\x03", "\x04", "\x05\x06\x07"}), n);
  write(dir, "label_set_shared_prefixes.seed",
        in(DatasetLoader::LabelSet, 13, {"\x20\x21\x22", "\x20\x21\x23", "\x20\x24", "\x20"}), n);
  std::printf("wrote %d seeds to %s\n", n, dir.c_str());
  return 0;
}
