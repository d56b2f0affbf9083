#include "experiments/run_metrics.h"

#include <cmath>

#include "core/csv.h"
#include "core/error.h"
#include "core/strings.h"
#include "experiments/statistics/bootstrap.h"
#include "experiments/statistics/comparisons.h"
#include "experiments/statistics/coverage.h"

namespace vbiopsy::experiments {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json interval_json(const Interval& i) {
  return {{"estimate", number(i.estimate)}, {"lower", number(i.lower)}, {"upper", number(i.upper)}};
}

}  // namespace

void add_uncertainty_metrics(const ExperimentConfig& config, const std::vector<Row>& rows,
                             const std::vector<int>& labels, nlohmann::json& out) {
  auto uncalibrated_rows = rows;
  for (auto& r : uncalibrated_rows) r.p = r.u;
  const auto before = compute_metrics(pooled(uncalibrated_rows, labels));
  out["calibration"] = {{"method", config.calibration},
                        {"holdout", config.calibration_holdout},
                        {"brier_uncalibrated", number(before.at("brier"))},
                        {"ece_uncalibrated", number(before.at("ece"))}};
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
  out["conformal"] = {{"alpha", config.conformal_alpha},
                      {"cases", summary.cases},
                      {"coverage", interval_json(summary.coverage)},
                      {"coverage_by_class", per_class},
                      {"mean_set_size", interval_json(summary.mean_size)},
                      {"set_size_share", summary.size_share}};
}

std::string best_for_export(const ExperimentConfig& config, const std::vector<Cell>& cells,
                            const nlohmann::json& metrics, const std::string& best_auc) {
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
      out["atypical_held_out"][cell.subset[j]] = {{"share", static_cast<double>(far) / static_cast<double>(measured)},
                                                  {"cases", measured}};
  }
}

nlohmann::json figures_by_modalities(const ExperimentConfig& config, const Cell& cell, const std::vector<Cell>& cells,
                                     const nlohmann::json& metrics, const std::vector<Row>& rows,
                                     const FeatureTable& table, const std::vector<int>& labels) {
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
        entry["ablation_cell"] = {{"model", other.name},
                                  {"macro_auc", metrics.at(other.name).at("metrics").at("macro_auc")}};
    std::vector<Row> matching;
    for (const auto& r : rows) {
      bool same = true;
      for (size_t m = 0; m < n; ++m)
        same = same && table.block(cell.subset[m]).present[r.case_index] == bool(mask & (1u << m));
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

std::string comparisons_table(const std::vector<Cell>& cells, const std::map<std::string, Predictions>& pooled,
                              const std::string& reference, const std::string& family) {
  std::vector<std::pair<std::string, std::string>> pairs;  // (model a, model b)
  for (size_t i = 0; i < cells.size(); ++i) {
    if (family == "reference") {
      if (cells[i].name != reference) pairs.emplace_back(cells[i].name, reference);
      continue;
    }
    for (size_t j = i + 1; j < cells.size(); ++j) pairs.emplace_back(cells[i].name, cells[j].name);
  }
  struct Comparison {
    std::string a, b, endpoint;
    PairedTest test;
    double p_holm = 1;
  };
  std::vector<Comparison> comparisons;
  std::map<std::string, std::vector<size_t>> by_endpoint;
  for (const auto& [a, b] : pairs) {
    const auto ends_a = endpoints(pooled.at(a)), ends_b = endpoints(pooled.at(b));
    for (size_t e = 0; e < kClasses; ++e) {  // the one-vs-rest endpoints (zero vs rest is zero vs at least low)
      Comparison c{a, b, ends_a[e].name, {}};
      try {
        c.test = delong_test(ends_a[e].scores, ends_b[e].scores, ends_a[e].outcome);
      } catch (const core::Error&) {
        c.test.p_value = NAN;  // too few cases of a class for the test
      }
      by_endpoint[c.endpoint].push_back(comparisons.size());
      comparisons.push_back(c);
    }
  }
  for (const auto& [endpoint, indices] : by_endpoint) {
    std::vector<double> p_values;
    for (size_t i : indices)
      p_values.push_back(std::isnan(comparisons[i].test.p_value) ? 1.0 : comparisons[i].test.p_value);
    const auto adjusted = holm(p_values);
    for (size_t k = 0; k < indices.size(); ++k) comparisons[indices[k]].p_holm = adjusted[k];
  }
  std::string csv = "model_a,model_b,endpoint,auc_a,auc_b,delta,z,p_value,p_holm,holm_family\n";
  for (const auto& c : comparisons)
    csv += core::csv_line({c.a, c.b, c.endpoint, core::format_double(c.test.auc_a), core::format_double(c.test.auc_b),
                           core::format_double(c.test.delta), core::format_double(c.test.z),
                           core::format_double(c.test.p_value), core::format_double(c.p_holm),
                           core::concat(family == "reference" ? "each model vs reference" : "all pairs", ", ",
                                        c.endpoint, " (", by_endpoint[c.endpoint].size(), " tests)")});
  return csv;
}

}  // namespace vbiopsy::experiments
