#pragma once
// Attention page. Left: the block layout of pre-encoding as a matrix of blocks (row = a block's
// tokens, column = the block they may attend to: sink, previous or self, each in its colour) from the
// chosen cache's S and P. Right: for the last query, the real softmax weights of a chosen layer/head,
// every query token (rows) over the tokens of the selected blocks and the query (columns), with block
// boundaries marked; wheel zooms, drag pans, hovering names the token and its weight. Below: the detail
// of one block (a click on its row of the matrix or its columns of the map): where it sits in the
// query's context, its score, tokens and attention mass, what it saw when pre-encoded, its labels and
// its text.
// QCustomPlot lives only in attention_page.cpp (slow to compile).
#include <QColor>
#include <QSize>
#include <QString>
#include <QWidget>
#include <set>
#include <vector>

#include "engine/block_layout.h"
#include "method/prediction.h"

class QCustomPlot;
class QCPColorScale;
class QLabel;
class QSpinBox;
class QTextBrowser;

namespace dbsa::ui {

class StudioState;
struct QueryOutcome;

class AttentionPage : public QWidget {
  Q_OBJECT
 public:
  explicit AttentionPage(StudioState& state, QWidget* parent = nullptr);

  // The layout matrix shown (row-major, n × n) and its size.
  int layout_blocks() const { return layout_n_; }
  BlockLink layout_cell(int row, int col) const;
  // Cells of the attention map with a non-zero weight, and the map's size.
  int64_t map_nonzero() const { return map_nonzero_; }
  int map_rows() const { return map_rows_; }
  int map_columns() const { return map_cols_; }
  // What the plots hold now: the attention map's columns × rows and the layout matrix's blocks (to
  // check them against the caption and the state), and whether both have been drawn since their data
  // last changed (a hidden page draws them when shown).
  QSize plotted_map() const;
  int plotted_layout() const;
  bool plots_current() const;
  QString caption() const;
  // The attention mass per selected block of the shown head (method/attention_mass.h), and its line.
  const std::vector<double>& mass_per_block() const { return mass_blocks_; }
  QString mass_text() const;
  void reset_zoom();               // both plots back to their whole data
  QColor plot_background() const;  // follows the window's palette
  // The tooltip text of map cell (query row, key column), empty outside the map.
  QString hover_text(int row, int column) const;
  void set_head(int layer, int head);  // and asks for the query again
  // The detail pane shows `block` (a block of the chosen cache); -1 clears it. What a click on the
  // matrix or the map does.
  void show_block(int block);
  int detail_block() const { return detail_block_; }
  QString block_detail_text() const;  // the pane's text, as plain text

 signals:
  void recapture_requested();

 protected:
  void showEvent(QShowEvent* e) override;
  void changeEvent(QEvent* e) override;

 private:
  void show_layout();
  void show_map();
  void refresh(QCustomPlot* plot);
  void show_mass(const QueryOutcome& q);
  void highlight_selected(const std::vector<SelectedBlock>& blocks);

  StudioState& state_;
  QSpinBox* layer_;
  QSpinBox* head_;
  QLabel* caption_;
  QLabel* mass_;
  QTextBrowser* detail_;
  int detail_block_ = -1;
  bool detail_picked_ = false;  // chosen by a click (stays across queries), not by the attention mass
  std::vector<double> mass_blocks_;
  QCustomPlot* layout_plot_;
  QCustomPlot* map_plot_;
  QCPColorScale* scale_ = nullptr;
  std::vector<BlockLink> layout_;
  int layout_n_ = 0;
  int64_t map_nonzero_ = 0;
  int map_rows_ = 0, map_cols_ = 0;
  std::vector<QString> token_text_;  // per map column
  std::vector<int> token_block_;     // per map column: selected block index, -1 for query tokens
  std::set<QCustomPlot*> stale_;     // plots whose data changed since they were last drawn
};

}  // namespace dbsa::ui
