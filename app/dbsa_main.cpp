#include "cli/cli.h"

int main(int argc, char** argv) { return dbsa::cli::run(argc, argv); }
