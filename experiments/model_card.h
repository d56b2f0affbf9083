#pragma once
// The model card every exported bundle carries (Mitchell et al. 2019, as TRIPOD+AI asks of a
// prediction model): what it is for, what it was trained on, what it needs as input, how well it did
// in cross-validation per subset of its modalities (with CIs), how its probabilities are calibrated,
// and its known limits. Shown by `vbiopsy predict --model M --card` and in the case report.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/config.h"
#include "experiments/feature_table.h"
#include "experiments/grid.h"

namespace vbiopsy::experiments {

struct ModelCardInputs {
  const ExperimentConfig& config;
  const Cell& cell;
  const FeatureTable& table;
  const std::vector<int>& labels;
  const std::vector<size_t>& train;
  const nlohmann::json& metrics;        // the cell's entry of metrics.json
  const nlohmann::json& by_modalities;  // figures_by_modalities of the cell
  bool synthetic = false;               // trained on the synthetic cohort
};
nlohmann::json model_card(const ModelCardInputs& inputs);

// The card a bundle folder carries (bundle.json's run.model_card), checked like any bundle read.
nlohmann::json read_model_card(const std::filesystem::path& bundle);

// The card as plain text, for the terminal.
std::string model_card_text(const nlohmann::json& card);

}  // namespace vbiopsy::experiments
