#pragma once
// Charts are widgets, and widgets need a QApplication even when nothing is shown. Headless callers
// (the CLI, tests, CI without a display) get one on Qt's offscreen platform.
#include <memory>

class QApplication;

namespace dbsa::ui {

// Creates a QApplication when none exists yet and returns it (keep it alive while drawing); returns
// null when the process already has one. Without QT_QPA_PLATFORM in the environment the offscreen
// platform is chosen, so this never needs a display.
std::unique_ptr<QApplication> ensure_application();

}  // namespace dbsa::ui
