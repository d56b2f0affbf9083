#pragma once
// What the run report says about the grid as a whole. The ablation at a glance: macro-AUC (95% CI) in a table with the
// modality subsets as rows and the fusion methods as columns, shaded by the estimate, and a forest plot of every model
// with the reference model's estimate as a dashed line.
#include <nlohmann/json.hpp>
#include <string>

namespace vbiopsy::experiments {

// metrics: metrics.json (model name "method[modality+modality]" -> figures). Empty when the run
// has a single model.
std::string ablation_section(const nlohmann::json& metrics, const std::string& reference);

// A recipe's [source] (run.json "source"): the citation and each published figure beside this
// run's figure (with its CI) for the model that stands for the published one (source.model, default
// `best`). Empty without a source.
std::string published_section(const nlohmann::json& source, const nlohmann::json& metrics, const std::string& best);

}  // namespace vbiopsy::experiments
