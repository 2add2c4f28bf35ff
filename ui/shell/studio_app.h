#pragma once
// The dbsa-studio program: options, the application object, the main window, and the headless
// `--screenshot FILE [--page NAME] [--demo] [--dark]` mode used by tests and documentation.
namespace dbsa::ui {

int run_studio(int argc, char** argv);

}  // namespace dbsa::ui
