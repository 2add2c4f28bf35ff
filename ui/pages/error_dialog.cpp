#include "ui/pages/error_dialog.h"

#include <QMessageBox>

namespace dbsa::ui {

void show_error(QWidget* parent, const QString& what, const QString& message) {
  auto* box = new QMessageBox(QMessageBox::Critical, what, message, QMessageBox::Close, parent);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setObjectName(QStringLiteral("errorDialog"));
  box->setTextInteractionFlags(Qt::TextSelectableByMouse);
  box->open();
}

}  // namespace dbsa::ui
