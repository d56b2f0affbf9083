#pragma once
// What metrics.json holds per model beyond the bootstrap figures: calibration before and after,
// conformal coverage, how often held-out cases were called far from their training cases, and the
// cross-validated figures for the cases that had only some of the model's modalities; and which
// model `export = best` means.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/config.h"
#include "experiments/feature_table.h"
#include "experiments/grid.h"
#include "experiments/statistics/metrics.h"

namespace vbiopsy::experiments {

// Brier and ECE of the model's own probabilities beside the calibrated ones, and how the conformal
// sets did on the held-out cases (every repeat's rows).
void add_uncertainty_metrics(const ExperimentConfig& config, const std::vector<Row>& rows,
                             const std::vector<int>& labels, nlohmann::json& out);

// Per modality of the cell, the share of held-out cases called far from their training cases.
void add_atypical_shares(const Cell& cell, const std::vector<Row>& rows, nlohmann::json& out);

// The model `export = best` means: the best by experiment.export_metric (macro-AUC the highest,
// Brier or ECE the lowest point estimate).
std::string best_for_export(const ExperimentConfig& config, const std::vector<Cell>& cells,
                            const nlohmann::json& metrics, const std::string& best_auc);

// For predict, keyed by the "+"-joined modalities a case has (in the cell's order): the macro-AUC of
// the grid's cell with the same method on just those modalities (when the grid has it), and the
// cell's own out-of-fold figures on the held-out cases that had exactly those modalities.
nlohmann::json figures_by_modalities(const ExperimentConfig& config, const Cell& cell, const std::vector<Cell>& cells,
                                     const nlohmann::json& metrics, const std::vector<Row>& rows,
                                     const FeatureTable& table, const std::vector<int>& labels);

// comparisons.csv: a paired DeLong test per one-vs-rest endpoint for each pair of the family
// (`reference`: each model against the reference; `all_pairs`: every pair of models), with Holm's
// correction over the tests of one endpoint, and the family named in every row.
std::string comparisons_table(const std::vector<Cell>& cells, const std::map<std::string, Predictions>& pooled,
                              const std::string& reference, const std::string& family);

}  // namespace vbiopsy::experiments
