#include "experiments/run_metrics.h"

#include <cmath>

#include "core/strings.h"
#include "experiments/statistics/bootstrap.h"
#include "experiments/statistics/coverage.h"

namespace vbiopsy::experiments {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json interval_json(const Interval& i) { return {{"estimate", number(i.estimate)}, {"lower", number(i.lower)}, {"upper", number(i.upper)}}; }

}  // namespace

void add_uncertainty_metrics(const ExperimentConfig& config, const std::vector<Row>& rows, const std::vector<int>& labels, nlohmann::json& out) {
  auto uncalibrated_rows = rows;
  for (auto& r : uncalibrated_rows) r.p = r.u;
  const auto before = compute_metrics(pooled(uncalibrated_rows, labels));
  out["calibration"] = {{"method", config.calibration}, {"holdout", config.calibration_holdout},
                        {"brier_uncalibrated", number(before.at("brier"))}, {"ece_uncalibrated", number(before.at("ece"))}};
  std::vector<int> truth;
  std::vector<unsigned> sets;
  for (const auto& r : rows)
    if (r.set) {
      truth.push_back(labels[r.case_index]);
      sets.push_back(*r.set);
    }
  const auto summary = summarise_sets(truth, sets);
  nlohmann::json per_class = nlohmann::json::object();
  for (int k = 0; k < kClasses; ++k) per_class[kClassNames[k]] = interval_json(summary.class_coverage[k]);
  out["conformal"] = {{"alpha", config.conformal_alpha}, {"cases", summary.cases}, {"coverage", interval_json(summary.coverage)},
                      {"coverage_by_class", per_class}, {"mean_set_size", interval_json(summary.mean_size)},
                      {"set_size_share", summary.size_share}};
}

std::string best_for_export(const ExperimentConfig& config, const std::vector<Cell>& cells, const nlohmann::json& metrics,
                            const std::string& best_auc) {
  if (config.export_metric == "macro_auc") return best_auc;
  std::string best;
  double lowest = INFINITY;
  for (const auto& cell : cells) {
    const auto& value = metrics.at(cell.name).at("metrics").at(config.export_metric).at("estimate");
    if (value.is_number() && value.get<double>() < lowest) {
      lowest = value.get<double>();
      best = cell.name;
    }
  }
  return best.empty() ? best_auc : best;
}

void add_atypical_shares(const Cell& cell, const std::vector<Row>& rows, nlohmann::json& out) {
  for (size_t j = 0; j < cell.subset.size(); ++j) {
    long measured = 0, far = 0;
    for (const auto& r : rows)
      if (j < r.atypical.size() && r.atypical[j] >= 0) {
        ++measured;
        far += r.atypical[j];
      }
    if (measured > 0)
      out["atypical_held_out"][cell.subset[j]] = {{"share", static_cast<double>(far) / static_cast<double>(measured)}, {"cases", measured}};
  }
}

nlohmann::json figures_by_modalities(const ExperimentConfig& config, const Cell& cell, const std::vector<Cell>& cells,
                                     const nlohmann::json& metrics, const std::vector<Row>& rows, const FeatureTable& table,
                                     const std::vector<int>& labels) {
  nlohmann::json out = nlohmann::json::object();
  const size_t n = cell.subset.size();
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    std::vector<std::string> names, encoders;
    for (size_t m = 0; m < n; ++m)
      if (mask & (1u << m)) {
        names.push_back(cell.subset[m]);
        encoders.push_back(cell.encoders[m]);
      }
    nlohmann::json entry = nlohmann::json::object();
    for (const auto& other : cells)
      if (other.fusion == cell.fusion && other.subset == names && other.encoders == encoders)
        entry["ablation_cell"] = {{"model", other.name}, {"macro_auc", metrics.at(other.name).at("metrics").at("macro_auc")}};
    std::vector<Row> matching;
    for (const auto& r : rows) {
      bool same = true;
      for (size_t m = 0; m < n; ++m) same = same && table.block(cell.subset[m]).present[r.case_index] == bool(mask & (1u << m));
      if (same) matching.push_back(r);
    }
    const auto p = pooled(matching, labels);
    std::array<int, kClasses> counts{};
    for (int y : p.labels) ++counts[y];
    if (*std::min_element(counts.begin(), counts.end()) >= 2) {
      const auto intervals = bootstrap_metrics(p, config.bootstrap, config.seed);
      entry["held_out_cases"] = {{"cases", p.labels.size()}, {"macro_auc", interval_json(intervals.at("macro_auc"))}};
    }
    if (!entry.empty()) out[core::join(names, "+")] = entry;
  }
  return out;
}

}  // namespace vbiopsy::experiments
