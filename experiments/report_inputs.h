#pragma once
// The first stage of the run report: a run folder's files read once, and the models ranked.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/statistics/metrics.h"

namespace vbiopsy::experiments {

struct ReportInputs {
  std::filesystem::path run_dir;
  nlohmann::json run, metrics;                     // run.json, metrics.json
  std::map<std::string, Predictions> predictions;  // out-of-fold, averaged over repeats, per model
  std::string reference;                           // the reference model of the comparisons
  std::vector<std::string> ranked;                 // every model, best macro-AUC first (ties by name)
  std::vector<std::string> shown;                  // drawn in the charts: the best four and the reference
};

// Reads RUN_DIR's run.json, metrics.json and predictions.csv; fails naming the file that is
// missing or malformed.
ReportInputs read_report_inputs(const std::filesystem::path& run_dir);

}  // namespace vbiopsy::experiments
