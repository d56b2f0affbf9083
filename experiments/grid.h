#pragma once
// The ablation grid of a run and its out-of-fold rows: the cells (modality subset x method x
// encoders), one row per held-out case of a fold, the text a finished fold or cell leaves in the
// run's cells/ folder, and the rows pooled over repeats.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "experiments/calibration.h"
#include "experiments/config.h"
#include "experiments/statistics/metrics.h"

namespace vbiopsy::experiments {

struct Cell {
  std::string fusion;
  std::vector<std::string> subset;
  std::vector<std::string> encoders;  // per modality of the subset
  std::string name;
};

// The encoders a grid method may give a modality. A classical learner reads feature columns, or the
// deep features of an image encoder; the feature-vector encoders are all the same columns to it,
// so they count once.
std::vector<std::string> choices_for(const ExperimentConfig& config, const std::string& method,
                                     const std::string& modality);
// Every combination of one choice per list, first list slowest.
std::vector<std::vector<std::string>> combinations(const std::vector<std::vector<std::string>>& lists);

// The grid: modality subsets x methods x encoder choices. A modality is tagged with its encoder in
// the model name only when the config gives it several (the encoder axis).
std::vector<Cell> grid_cells(const ExperimentConfig& config);

// One out-of-fold prediction.
struct Row {
  size_t case_index = 0;
  int repeat = 0, fold = 0;
  std::array<double, kClasses> p{};  // calibrated when the run calibrates
  std::array<double, kClasses> u{};  // the model's own (uncalibrated) probabilities
  std::optional<ClassSet> set;       // the conformal prediction set, when the run has them
  std::vector<int> atypical;         // per modality of the cell: 1 far from the training cases, 0 not, -1 not measured
  std::vector<double> weights;       // per modality of the cell (attention shares, gates, late weights); may be empty
};

std::string cell_text(const std::vector<Row>& rows);
std::vector<Row> parse_cell(const std::filesystem::path& path);

// Out-of-fold probabilities averaged over the repeats, one row per predicted case (every case for
// k-fold; the test sites' cases for external validation), in case order.
Predictions pooled(const std::vector<Row>& rows, const std::vector<int>& labels);

}  // namespace vbiopsy::experiments
