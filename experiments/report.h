#pragma once
// report.html: one self-contained page (inline CSS and SVG, no scripts, no external files) rebuilt
// from a run's files: summary table with CIs, ROC curves per endpoint, calibration, decision curves,
// confusion matrices, mean modality weights (attention, gates), DeLong comparisons, the modality
// Shapley chart, the excluded cases, and a
// TRIPOD+AI / CLEAR checklist prefilled from run.json.
#include <filesystem>

namespace vbiopsy::experiments {

// Reads RUN_DIR's predictions.csv, metrics.json, comparisons.csv, shapley.csv and run.json; writes
// RUN_DIR/report.html atomically.
void write_report(const std::filesystem::path& run_dir);

}  // namespace vbiopsy::experiments
