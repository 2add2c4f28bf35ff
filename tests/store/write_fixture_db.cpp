// Writes the report fixture database (report_fixture.h) to argv[1], for the end-to-end tests of
// `dbsa report` and `dbsa merge`, which need a database with known contents.
#include <filesystem>
#include <iostream>

#include "report_fixture.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_fixture_db OUT.sqlite\n";
    return 2;
  }
  try {
    std::filesystem::remove(argv[1]);
    dbsa::ResultsDb db(argv[1]);
    dbsa::test::fill_report_fixture(db);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
