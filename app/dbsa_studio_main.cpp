#include "ui/shell/studio_app.h"

int main(int argc, char** argv) {
  return dbsa::ui::run_studio(argc, argv);
}
