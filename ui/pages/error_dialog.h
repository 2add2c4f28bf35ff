#pragma once
// Errors reach the user as a dialog carrying the core's message verbatim (it names the file, line or
// field). The dialog is window-modal but never blocks the caller, so a failing job cannot stall the
// event loop (nor a test or the --screenshot mode).
#include <QString>

class QWidget;

namespace dbsa::ui {

void show_error(QWidget* parent, const QString& what, const QString& message);

}  // namespace dbsa::ui
