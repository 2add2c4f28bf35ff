#include <array>

#include "cli/cli.h"
#ifdef DBSA_HAVE_UI
#include "ui/charts/chart_command.h"
#endif

int main(int argc, char** argv) {
#ifdef DBSA_HAVE_UI
  const std::array<dbsa::cli::Registrar, 1> extra{&dbsa::ui::register_chart_command};
  return dbsa::cli::run(argc, argv, extra);
#else
  return dbsa::cli::run(argc, argv);
#endif
}
