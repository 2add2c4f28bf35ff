#pragma once
// The `dbsa` command line: each command group registers its subcommands on the CLI11 app.
#include <CLI/CLI.hpp>
#include <span>

namespace dbsa::cli {

// Parses argv, runs the chosen subcommand and returns the process exit code. Errors are printed as one
// line on stderr ("dbsa: <message>") with a non-zero exit code.
int run(int argc, char** argv);
// The same, with command groups from layers above core (e.g. `chart`, which needs Qt) added by the main.
using Registrar = void (*)(CLI::App& app);
int run(int argc, char** argv, std::span<const Registrar> extra);

// Registration hooks (one per cmd_*.cpp). Each adds its subcommands and their callbacks.
void register_model_commands(CLI::App& app);
void register_model_synth_command(CLI::App& model);  // under `model`
void register_tokenize_command(CLI::App& app);
void register_logits_command(CLI::App& app);
void register_generate_command(CLI::App& app);
void register_bench_commands(CLI::App& app);  // `bench prefill`, `bench decode`
void register_encode_command(CLI::App& app);  // `encode` (KV block cache)
void register_query_command(CLI::App& app);   // `query` (DBSA over a cache)
void register_report_command(CLI::App& app);
void register_runs_command(CLI::App& app);  // `runs` (every run of a results database, with its id)
void register_merge_command(CLI::App& app);
void register_eval_command(CLI::App& app);    // `eval` (cmd_eval.cpp)
void register_sweep_command(CLI::App& app);   // `sweep` (cmd_eval.cpp)
void register_data_commands(CLI::App& app);   // `data demo`
void register_cache_commands(CLI::App& app);  // `cache list`, `cache verify`, `cache delete`

}  // namespace dbsa::cli
