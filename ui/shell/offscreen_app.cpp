#include "ui/shell/offscreen_app.h"

#include <QApplication>

namespace dbsa::ui {

std::unique_ptr<QApplication> ensure_application() {
  if (QCoreApplication::instance() != nullptr) return nullptr;
  // Must be set before the QApplication exists: the platform plugin is chosen in its constructor.
  if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  // QApplication keeps references to argc/argv for its whole life.
  static int argc = 1;
  static char name[] = "dbsa";
  static char* argv[] = {name, nullptr};
  return std::make_unique<QApplication>(argc, argv);
}

}  // namespace dbsa::ui
