#pragma once
// Charts page: the five chart kinds of `dbsa chart` drawn live from the results database (wheel zooms,
// drag pans), exported as PNG, PDF or SVG at a chosen size through the same export code as the CLI.
// QCustomPlot lives only in charts_page.cpp (slow to compile).
#include <QColor>
#include <QSize>
#include <QWidget>
#include <cstdint>
#include <optional>
#include <set>

#include "store/chart_data.h"

class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QSpinBox;
class QVBoxLayout;

namespace dbsa::ui {

class ChartsPage : public QWidget {
  Q_OBJECT
 public:
  explicit ChartsPage(QWidget* parent = nullptr);

  void set_db(const QString& file);  // and redraws
  void set_kind(const QString& kind);
  void set_model(const QString& model);    // a model of the database, or "" for all; redraws
  void set_config(const QString& config);  // a configuration (run_config_text), or "" for all; redraws
  // Only these runs (the Runs page's "Chart selected runs"); empty: every run. Redraws.
  void set_runs(const std::set<int64_t>& runs);
  // Draws the chosen kind; returns the number of method series (0 and the reason in note_text() when
  // the database has nothing to draw).
  int redraw();
  // Throws (naming the file) like `dbsa chart` when the file cannot be written.
  void export_to(const QString& file, int width, int height);
  QString note_text() const;
  QString export_text() const;     // where the last export went
  QSize plot_size() const;         // the on-screen chart's size
  QColor plot_background() const;  // the on-screen chart's, which follows the window's palette

 protected:
  void changeEvent(QEvent* e) override;

 private:
  QString db_;
  QComboBox* kind_;
  QLineEdit* dataset_;
  QComboBox* model_;
  QComboBox* config_;
  QComboBox* runs_;  // "all runs", then the chosen runs when set_runs named some
  QSpinBox* width_;
  QSpinBox* height_;
  QLabel* note_;
  QLabel* exported_;
  QVBoxLayout* plot_box_;
  QCustomPlot* plot_ = nullptr;
  std::set<int64_t> chosen_runs_;
  std::optional<ChartData> chart_;  // what the on-screen chart draws; exports draw it anew on white
};

}  // namespace dbsa::ui
