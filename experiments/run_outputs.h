#pragma once
// The last stage of a run: the files a finished grid leaves in the run folder (docs/architecture.md
// describes each): predictions.csv, attention.csv, metrics.json (with comparisons.csv), shapley.csv
// and run.json.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/config.h"
#include "experiments/feature_table.h"
#include "experiments/grid.h"
#include "experiments/run_inputs.h"
#include "experiments/statistics/metrics.h"

namespace vbiopsy::experiments {

using GridRows = std::map<std::string, std::vector<Row>>;  // out-of-fold rows by model

void write_predictions_csv(const std::filesystem::path& file, const ExperimentConfig& config, const FeatureTable& table,
                           const std::vector<int>& labels, const std::vector<Cell>& cells, const GridRows& rows);

// The per-case modality weights of the models that have them (attention shares of the class token,
// gates, learned late weights); absent modalities weigh 0.
void write_attention_csv(const std::filesystem::path& file, const FeatureTable& table, const std::vector<Cell>& cells,
                         const GridRows& rows);

struct GridMetrics {
  nlohmann::json json;                        // metrics.json
  std::map<std::string, Predictions> pooled;  // by model
  std::map<std::string, double> macro_auc;    // point estimates
  std::string best_model;                     // by macro-AUC
  double best_macro_auc = 0;
  std::string reference;  // named, or the best model of the smallest subsets
};
// Every model's bootstrap metrics, confusion matrix, reliability and decision curves, uncertainty
// and atypicality figures, mean modality weights, and reclassification against the reference.
GridMetrics grid_metrics(const ExperimentConfig& config, const FeatureTable& table, const std::vector<int>& labels,
                         const std::vector<Cell>& cells, const GridRows& rows);

// shapley.csv: for each fusion method (and, with an encoder axis, each choice of encoders:
// "early[mri:cnn3d]") whose grid holds every subset of the modalities.
std::string shapley_csv(const ExperimentConfig& config, const std::vector<Cell>& cells,
                        const std::map<std::string, double>& macro_auc);

struct RunFacts {
  std::string fingerprint, reference;
  size_t cells = 0, cells_reused = 0;
  double seconds = 0;
};
// run.json: the provenance `vbiopsy reproduce` reruns from.
nlohmann::json run_record(const ExperimentConfig& config, const RunInputs& inputs, const RunFacts& facts,
                          const std::filesystem::path& run_dir);

}  // namespace vbiopsy::experiments
