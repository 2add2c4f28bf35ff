// `dbsa data demo`: writes the project's generated demo dataset (icl/demo_dataset.h) for machines
// without the real datasets.
#include <iostream>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "icl/demo_dataset.h"

namespace dbsa::cli {
namespace {

struct DemoArgs {
  std::string out;
  DemoDatasetOptions opts;
};

void run_demo(const DemoArgs& a) {
  write_demo_dataset(a.out, a.opts);
  std::cout << "wrote a demo TREC-format dataset (6 classes, " << a.opts.train_per_class << " train and "
            << a.opts.test_per_class << " test questions each) to " << a.out
            << "; use it with --dataset trec --data-dir " << a.out << "\n";
}

}  // namespace

void register_data_commands(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Datasets");
  data->require_subcommand(1);
  auto a = std::make_shared<DemoArgs>();
  auto* c = data->add_subcommand(
      "demo", "Write a small generated question-classification dataset laid out like shared/data's TREC");
  c->add_option("--out,-o", a->out, "Folder to write (trec/ and splits/ inside)")->required();
  c->add_option("--train-per-class", a->opts.train_per_class, "Training questions per class");
  c->add_option("--test-per-class", a->opts.test_per_class, "Test questions per class");
  c->add_option("--seed", a->opts.seed, "Seed of the draw");
  c->callback([a] { run_demo(*a); });
}

}  // namespace dbsa::cli
