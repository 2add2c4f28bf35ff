#include "icl/demo_dataset.h"

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "icl/seeded_rng.h"
#include "util/atomic_file.h"

namespace dbsa {
namespace {

// One TREC coarse class with the fine tag its questions carry and templates whose `{}` slots are
// filled from the class's own word list, so a question's words point at its class as in real TREC.
struct DemoClass {
  const char* fine_tag;
  const char* fine_name;
  std::vector<const char*> templates;
  std::vector<const char*> fillers;
};

const std::array<const char*, 6> kCoarseTags = {"ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"};
const std::array<const char*, 6> kCoarseNames = {"abbreviation", "entity",   "description",
                                                 "human",        "location", "numeric"};

const std::vector<DemoClass>& demo_classes() {
  static const std::vector<DemoClass> classes = {
      {"ABBR:exp",
       "abbreviation expansion",
       {"What does {} stand for ?", "What is the full form of {} ?", "{} is an abbreviation for what ?",
        "What do the letters {} mean ?"},
       {"NASA", "UNICEF", "CPU", "DNA", "FBI", "NATO", "HTML", "GPS", "UFO", "AIDS", "RAM", "BBC"}},
      {"ENTY:animal",
       "entity animal",
       {"What animal is known for its {} ?", "Which creature has the largest {} ?",
        "What kind of animal uses its {} to hunt ?", "What bird is famous for its {} ?"},
       {"stripes", "long neck", "tusks", "venom", "wings", "shell", "horn", "mane", "webbed feet", "trunk"}},
      {"DESC:def",
       "description definition",
       {"What is {} ?", "What does the word {} mean ?", "How would you define {} ?",
        "What is meant by the term {} ?"},
       {"photosynthesis", "inflation", "a sonnet", "gravity", "democracy", "an enzyme", "erosion", "irony",
        "a molecule", "osmosis"}},
      {"HUM:ind",
       "human individual",
       {"Who invented the {} ?", "Who was the first person to build a {} ?", "Who designed the first {} ?",
        "Which scientist is credited with the {} ?"},
       {"telephone", "light bulb", "printing press", "steam engine", "airplane", "radio", "vaccine",
        "computer", "telescope", "bicycle"}},
      {"LOC:city",
       "location city",
       {"In what city is the {} ?", "Where is the {} located ?", "Which city is home to the {} ?",
        "What town is the {} in ?"},
       {"Eiffel Tower", "Colosseum", "Golden Gate Bridge", "Kremlin", "Acropolis", "Brandenburg Gate",
        "Space Needle", "Sagrada Familia", "Louvre", "Forbidden City"}},
      {"NUM:count",
       "numeric count",
       {"How many {} are there ?", "How many {} does a typical person have ?", "What is the number of {} ?",
        "How many {} were counted last year ?"},
       {"planets in the solar system", "bones in the human body", "keys on a piano", "states in the union",
        "players on a soccer team", "days in a leap year", "strings on a violin", "teeth in an adult mouth",
        "moons of Mars", "cards in a deck"}},
  };
  return classes;
}

std::string fill(const char* tmpl, const char* filler) {
  std::string s(tmpl);
  const auto at = s.find("{}");
  return s.replace(at, 2, filler);
}

// Draws `per_class` questions of every class, interleaved class by class.
std::vector<std::pair<int, std::string>> draw(SeededRng& rng, int per_class) {
  std::vector<std::pair<int, std::string>> rows;
  const auto& classes = demo_classes();
  for (int i = 0; i < per_class; ++i)
    for (size_t c = 0; c < classes.size(); ++c) {
      const auto& k = classes[c];
      const char* t = k.templates[rng.below(k.templates.size())];
      const char* f = k.fillers[rng.below(k.fillers.size())];
      rows.emplace_back(static_cast<int>(c), fill(t, f));
    }
  rng.shuffle(rows);
  return rows;
}

std::string label_file(const std::vector<std::pair<int, std::string>>& rows) {
  std::string out;
  for (const auto& [c, text] : rows)
    out += std::string(demo_classes()[static_cast<size_t>(c)].fine_tag) + " " + text + "\n";
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string q = "\"";
  for (const char ch : text) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

}  // namespace

void write_demo_dataset(const std::filesystem::path& data_dir, const DemoDatasetOptions& opts) {
  if (opts.train_per_class < 1 || opts.test_per_class < 1)
    throw std::invalid_argument("demo dataset: at least one train and one test question per class");
  SeededRng rng(opts.seed);
  const auto train = draw(rng, opts.train_per_class);
  const auto test = draw(rng, opts.test_per_class);

  // labels.tsv: the six coarse rows, then the fine rows in the order the loader numbers them.
  std::string labels;
  for (size_t c = 0; c < kCoarseTags.size(); ++c)
    labels += std::string(kCoarseTags[c]) + "\t" + kCoarseNames[c] + "\n";
  for (const auto& k : demo_classes()) labels += std::string(k.fine_tag) + "\t" + k.fine_name + "\n";

  // The test subset: every test question, with coarse and fine label ids (ids are class indices in
  // both, since each class has exactly one fine tag listed in class order).
  std::string subset = "text,coarse_label,fine_label\n";
  for (const auto& [c, text] : test)
    subset += csv_field(text) + "," + std::to_string(c) + "," + std::to_string(c) + "\n";

  std::filesystem::create_directories(data_dir / "trec");
  std::filesystem::create_directories(data_dir / "splits");
  write_file_atomic(data_dir / "trec" / "labels.tsv", labels);
  write_file_atomic(data_dir / "trec" / "train_5500.label", label_file(train));
  write_file_atomic(data_dir / "trec" / "TREC_10.label", label_file(test));
  write_file_atomic(data_dir / "splits" / "test250-trec.csv", subset);
}

}  // namespace dbsa
