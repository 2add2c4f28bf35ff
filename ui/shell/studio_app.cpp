#include "ui/shell/studio_app.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QStandardPaths>
#include <QTimer>
#include <cstring>
#include <iostream>

#include "ui/shell/main_window.h"
#include "ui/shell/studio_demo.h"

namespace dbsa::ui {
namespace {

bool has_arg(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return true;
  return false;
}

int take_screenshot(MainWindow& w, const QString& file, const QString& page) {
  if (!page.isEmpty() && !w.set_page(page)) {
    std::cerr << "dbsa-studio: unknown page '" << page.toStdString()
              << "' (pages: " << MainWindow::page_names().join(", ").toStdString() << ")\n";
    return 2;
  }
  w.resize(1280, 800);
  w.show();
  // Let layouts settle and plots replot before grabbing.
  for (int i = 0; i < 5; ++i) QApplication::processEvents();
  if (!w.grab().save(file)) {
    std::cerr << "dbsa-studio: cannot write " << file.toStdString() << "\n";
    return 1;
  }
  std::cout << "wrote " << file.toStdString() << " (" << w.page().toStdString() << ")\n";
  return 0;
}

}  // namespace

int run_studio(int argc, char** argv) {
  // A screenshot needs no display: pick the offscreen platform when there is none.
  if (has_arg(argc, argv, "--screenshot") && !qEnvironmentVariableIsSet("QT_QPA_PLATFORM") &&
      !qEnvironmentVariableIsSet("DISPLAY") && !qEnvironmentVariableIsSet("WAYLAND_DISPLAY"))
    qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("dbsa"));
  QApplication::setApplicationName(QStringLiteral("dbsa-studio"));
  QApplication::setApplicationVersion(QStringLiteral(DBSA_VERSION));
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/dbsa-studio.svg")));

  QCommandLineParser p;
  p.setApplicationDescription(
      QStringLiteral("DBSA Studio: dynamic block-sparse attention for many-shot ICL"));
  p.addHelpOption();
  p.addVersionOption();
  const QCommandLineOption shot(QStringLiteral("screenshot"), "Render the window to a PNG file and exit.",
                                "FILE");
  const QCommandLineOption page(QStringLiteral("page"),
                                "Page to show: " + MainWindow::page_names().join(", ") + ".", "NAME");
  const QCommandLineOption demo(QStringLiteral("demo"),
                                "Load the built-in default model and a TREC pool, build a cache, "
                                "run a query and a short evaluation.");
  const QCommandLineOption dark(QStringLiteral("dark"), "Use the dark palette.");
  const QCommandLineOption data(QStringLiteral("data-dir"), "Datasets folder for --demo.", "DIR",
                                default_data_dir());
  const QCommandLineOption results(
      QStringLiteral("results"),
      "Open a results database (written by dbsa eval) on the Runs and Charts pages.", "FILE");
  p.addOptions({shot, page, demo, dark, data, results});
  p.process(app);

  MainWindow w;
  if (p.isSet(dark)) w.set_dark(true);
  if (p.isSet(page) && !p.isSet(shot) && !w.set_page(p.value(page))) {
    std::cerr << "dbsa-studio: unknown page '" << p.value(page).toStdString() << "'\n";
    return 2;
  }
  if (p.isSet(demo)) {
    w.show();
    DemoOptions o;
    o.data_dir = p.value(data);
    o.work_dir =
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)).filePath("demo");
    if (const QString e = run_demo(w, o); !e.isEmpty()) {
      std::cerr << "dbsa-studio: demo: " << e.toStdString() << "\n";
      if (p.isSet(shot)) return 1;
    }
  }
  if (p.isSet(results)) {
    if (!QFileInfo::exists(p.value(results))) {
      std::cerr << "dbsa-studio: --results " << p.value(results).toStdString() << ": no such file\n";
      return 2;
    }
    w.open_file(p.value(results));
  }
  if (p.isSet(shot)) return take_screenshot(w, p.value(shot), p.value(page));
  w.show();
  return QApplication::exec();
}

}  // namespace dbsa::ui
