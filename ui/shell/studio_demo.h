#pragma once
// `dbsa-studio --demo`: fills every page with real content from the built-in default — the project's
// trained many-shot ICL model (resources/models/README.md), a TREC pool, a cache built from it, two
// test queries (the pages show the second, with its attention), and a short evaluation into a results
// database for the Runs and Charts pages.
#include <QString>

namespace dbsa::ui {

class MainWindow;

struct DemoOptions {
  QString data_dir;  // holding trec/ and splits/
  QString work_dir;  // model, KV store and results database go here
  int blocks = 6;    // pool: blocks × block_demos TREC demonstrations
  int block_demos = 8;
  int eval_test = 10;  // test queries of the evaluation
};

// Runs every step to completion (events are processed meanwhile). Returns the first step's error
// message, empty on success.
QString run_demo(MainWindow& window, const DemoOptions& opts);

}  // namespace dbsa::ui
