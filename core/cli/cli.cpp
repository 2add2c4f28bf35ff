#include "cli/cli.h"

#include <exception>
#include <iostream>
#include <string>

namespace dbsa::cli {

int run(int argc, char** argv) {
  return run(argc, argv, {});
}

int run(int argc, char** argv, std::span<const Registrar> extra) {
  CLI::App app{"dbsa: Dynamic Block-Sparse Attention for many-shot in-context learning (CLI of DBSA Studio)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dbsa 0.1.0");
  // A parse error is one line, like every other refusal: CLI11's default adds a second one.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string(e.what()) + " (--help lists the options)\n";
  });
  // Each command group adds itself here; keep this list the only place that knows all of them.
  register_model_commands(app);
  register_tokenize_command(app);
  register_logits_command(app);
  register_generate_command(app);
  register_bench_commands(app);
  register_encode_command(app);
  register_query_command(app);
  register_report_command(app);
  register_runs_command(app);
  register_merge_command(app);
  register_eval_command(app);
  register_sweep_command(app);
  register_data_commands(app);
  register_cache_commands(app);
  for (Registrar r : extra) r(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "dbsa: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace dbsa::cli
