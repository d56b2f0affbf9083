#pragma once
// `vbiopsy run`: an experiment or an ablation grid (modality subsets x fusion methods) with
// repeated stratified k-fold cross-validation by patient. Every cell trains one model per fold on
// the fold's training cases only (feature handling included) and predicts the held-out cases; the
// out-of-fold predictions give the statistics. Writes into RUN_DIR (see DESIGN.md):
// predictions.csv, metrics.json, comparisons.csv, shapley.csv, run.json, report.html, attention.csv
// (per-case modality weights of attention, gated and late models), and cells/ (one finished
// cell per file, written atomically, so an interrupted run resumes without redoing them).
#include <filesystem>
#include <iosfwd>

#include "experiments/config.h"

namespace vbiopsy::experiments {

struct RunSummary {
  size_t cells = 0, cells_reused = 0, cases = 0;
  std::string best_model;
  double best_macro_auc = 0;
};

RunSummary run_experiment(const ExperimentConfig& config, const std::filesystem::path& run_dir, std::ostream& log);

}  // namespace vbiopsy::experiments
