// write_chart_db FILE [--two-models]: the chart test database (chart_test_db.h) at FILE, for the
// `dbsa chart` CLI tests; with --two-models also the runs of a second model.
#include <iostream>

#include "chart_test_db.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "--two-models")) {
    std::cerr << "usage: write_chart_db FILE [--two-models]\n";
    return 2;
  }
  std::filesystem::path file = argv[1];
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::path f = file;
    f += suffix;
    std::filesystem::remove(f);
  }
  dbsa::ResultsDb db(file, dbsa::OpenMode::Create);
  for (const auto& run : dbsa::test::chart_test_runs()) dbsa::test::write_run(db, run);
  if (argc == 3)
    for (const auto& run : dbsa::test::second_model_runs()) dbsa::test::write_run(db, run);
  return 0;
}
