#pragma once
// The ablation at a glance for the run report: macro-AUC (95% CI) in a table with the modality
// subsets as rows and the fusion methods as columns, shaded by the estimate, and a forest plot of
// every model with the reference model's estimate as a dashed line.
#include <nlohmann/json.hpp>
#include <string>

namespace vbiopsy::experiments {

// metrics: metrics.json (model name "method[modality+modality]" -> figures). Empty when the run
// has a single model.
std::string ablation_section(const nlohmann::json& metrics, const std::string& reference);

}  // namespace vbiopsy::experiments
