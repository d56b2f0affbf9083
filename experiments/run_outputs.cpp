#include "experiments/run_outputs.h"

#include <torch/version.h>

#include <cmath>

#include "core/csv.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/strings.h"
#include "experiments/calibration.h"
#include "experiments/run_metrics.h"
#include "experiments/statistics/bootstrap.h"
#include "experiments/statistics/comparisons.h"
#include "experiments/statistics/shapley.h"
#include "modalities/synthetic_cohort.h"

namespace vbiopsy::experiments {
namespace fs = std::filesystem;

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

// One model's figures in metrics.json; its macro-AUC point estimate through macro_auc.
nlohmann::json model_metrics(const ExperimentConfig& config, const FeatureTable& table, const Cell& cell,
                             const std::vector<Row>& rows, const std::vector<int>& labels, const Predictions& p,
                             double& macro_auc) {
  nlohmann::json m = nlohmann::json::object();
  for (const auto& [name, interval] :
       bootstrap_metrics(p, config.bootstrap, config.seed, static_cast<unsigned>(config.threads))) {
    m[name] = {
        {"estimate", number(interval.estimate)}, {"lower", number(interval.lower)}, {"upper", number(interval.upper)}};
    if (name == "macro_auc") macro_auc = interval.estimate;
  }
  const auto cm = confusion_matrix(p);
  nlohmann::json reliability = nlohmann::json::array();
  for (const auto& bin : reliability_curve(p))
    reliability.push_back({{"lower", bin.lower},
                           {"upper", bin.upper},
                           {"count", bin.count},
                           {"confidence", number(bin.mean_confidence)},
                           {"accuracy", number(bin.accuracy)}});
  nlohmann::json decision = nlohmann::json::object();
  std::vector<double> thresholds;
  for (int t = 1; t < 20; ++t) thresholds.push_back(t * 0.05);
  for (const auto& e : endpoints(p)) {
    if (e.name != "positive_vs_rest" && e.name != "zero_vs_atleastlow") continue;
    nlohmann::json points = nlohmann::json::array();
    for (const auto& point : decision_curve(e.scores, e.outcome, thresholds))
      points.push_back({{"threshold", point.threshold}, {"model", point.model}, {"treat_all", point.treat_all}});
    decision[e.name] = points;
  }
  nlohmann::json out = {
      {"metrics", m}, {"confusion_matrix", cm}, {"reliability", reliability}, {"decision_curves", decision}};
  if (config.calibration_holdout > 0) add_uncertainty_metrics(config, rows, labels, out);
  add_atypical_shares(cell, rows, out);
  // Mean modality weight over the cases that have the modality; late fusion's `combine = mean`
  // weighs the present modalities equally, which is no finding.
  const auto late = config.fusion_options.find("late");
  const bool equal_weights =
      cell.fusion == "late" &&
      (late == config.fusion_options.end() || !late->second.count("combine") || late->second.at("combine") == "mean");
  for (size_t j = 0; j < cell.subset.size() && !equal_weights; ++j) {
    double sum = 0;
    size_t count = 0;
    for (const auto& r : rows)
      if (j < r.weights.size() && table.block(cell.subset[j]).present[r.case_index]) {
        sum += r.weights[j];
        ++count;
      }
    if (count > 0) out["mean_modality_weight"][cell.subset[j]] = sum / static_cast<double>(count);
  }
  return out;
}

// Named, or the best single-modality model by macro-AUC (the best of the smallest subsets when the
// grid has no single modality).
std::string reference_model(const ExperimentConfig& config, const std::vector<Cell>& cells,
                            const std::map<std::string, double>& macro_auc) {
  if (!config.reference.empty()) return config.reference;
  std::string reference;
  double best = -1;
  size_t smallest = config.modalities.size();
  for (const auto& cell : cells) smallest = std::min(smallest, cell.subset.size());
  for (const auto& cell : cells)
    if (cell.subset.size() == smallest) {
      const double auc = macro_auc.at(cell.name);
      if (auc > best) {
        best = auc;
        reference = cell.name;
      }
    }
  return reference;
}

}  // namespace

void write_predictions_csv(const fs::path& file, const ExperimentConfig& config, const FeatureTable& table,
                           const std::vector<int>& labels, const std::vector<Cell>& cells, const GridRows& rows) {
  // With a calibration split: the model's own probabilities too, and the conformal set per case.
  const bool calibrated = config.calibration_holdout > 0;
  std::string predictions = "case_id,site,repeat,fold,model,true_class,p_zero,p_low,p_positive,pred_class";
  predictions += calibrated ? ",uncalibrated_zero,uncalibrated_low,uncalibrated_positive,prediction_set\n" : "\n";
  for (const auto& cell : cells)
    for (const auto& r : rows.at(cell.name)) {
      std::vector<std::string> fields = {table.case_ids[r.case_index],
                                         table.sites[r.case_index],
                                         std::to_string(r.repeat),
                                         std::to_string(r.fold),
                                         cell.name,
                                         kClassNames[labels[r.case_index]],
                                         core::format_double(r.p[0]),
                                         core::format_double(r.p[1]),
                                         core::format_double(r.p[2]),
                                         kClassNames[predicted_class(r.p)]};
      if (calibrated)
        for (const auto& field : {core::format_double(r.u[0]), core::format_double(r.u[1]), core::format_double(r.u[2]),
                                  set_text(r.set.value_or(0))})
          fields.push_back(field);
      predictions += core::csv_line(fields);
    }
  core::write_file_atomic(file, predictions);
}

void write_attention_csv(const fs::path& file, const FeatureTable& table, const std::vector<Cell>& cells,
                         const GridRows& rows) {
  std::string attention = "case_id,repeat,model,modality,weight\n";
  for (const auto& cell : cells)
    for (const auto& r : rows.at(cell.name))
      for (size_t m = 0; m < r.weights.size(); ++m)
        attention += core::csv_line({table.case_ids[r.case_index], std::to_string(r.repeat), cell.name, cell.subset[m],
                                     core::format_double(r.weights[m])});
  core::write_file_atomic(file, attention);
}

GridMetrics grid_metrics(const ExperimentConfig& config, const FeatureTable& table, const std::vector<int>& labels,
                         const std::vector<Cell>& cells, const GridRows& rows) {
  GridMetrics out;
  out.json = nlohmann::json::object();
  for (const auto& cell : cells) {
    const auto& cell_rows = rows.at(cell.name);
    const auto p = pooled(cell_rows, labels);
    out.pooled[cell.name] = p;
    double& macro_auc = out.macro_auc[cell.name];
    out.json[cell.name] = model_metrics(config, table, cell, cell_rows, labels, p, macro_auc);
    if (std::isfinite(macro_auc) && (out.best_model.empty() || macro_auc > out.best_macro_auc)) {
      out.best_model = cell.name;
      out.best_macro_auc = macro_auc;
    }
  }
  out.reference = reference_model(config, cells, out.macro_auc);
  if (!out.pooled.count(out.reference)) core::fail("reference model '", out.reference, "' is not in the grid");
  // NRI and IDI of every model against the reference, per endpoint.
  const auto reference_endpoints = endpoints(out.pooled.at(out.reference));
  for (const auto& cell : cells) {
    if (cell.name == out.reference) continue;
    const auto model_endpoints = endpoints(out.pooled.at(cell.name));
    for (size_t e = 0; e < kClasses; ++e) {
      const auto r =
          reclassification(reference_endpoints[e].scores, model_endpoints[e].scores, model_endpoints[e].outcome);
      out.json[cell.name]["reclassification_vs_reference"][model_endpoints[e].name] = {{"nri", r.nri}, {"idi", r.idi}};
    }
  }
  out.json["_reference"] = out.reference;
  return out;
}

std::string shapley_csv(const ExperimentConfig& config, const std::vector<Cell>& cells,
                        const std::map<std::string, double>& macro_auc) {
  std::string shapley = "fusion,modality,shapley_macro_auc\n";
  for (const auto& f : config.fusions) {
    std::vector<std::vector<std::string>> lists;
    for (const auto& m : config.modalities) lists.push_back(choices_for(config, f, m));
    for (const auto& assignment : combinations(lists)) {
      std::map<unsigned, double> value;
      for (const auto& cell : cells) {
        if (cell.fusion != f) continue;
        unsigned mask = 0;
        bool agrees = true;
        for (size_t j = 0; j < cell.subset.size(); ++j) {
          const auto at =
              static_cast<size_t>(std::find(config.modalities.begin(), config.modalities.end(), cell.subset[j]) -
                                  config.modalities.begin());
          mask |= 1u << at;
          agrees = agrees && assignment[at] == cell.encoders[j];
        }
        if (agrees) value[mask] = macro_auc.at(cell.name);
      }
      if (value.size() != (1u << config.modalities.size()) - 1) continue;
      std::vector<std::string> tags;
      for (size_t i = 0; i < config.modalities.size(); ++i)
        if (lists[i].size() > 1) tags.push_back(config.modalities[i] + ":" + assignment[i]);
      const auto label = tags.empty() ? f : f + "[" + core::join(tags, ",") + "]";
      const auto phi = shapley_values(static_cast<int>(config.modalities.size()), value);
      for (size_t i = 0; i < phi.size(); ++i)
        shapley += core::csv_line({label, config.modalities[i], core::format_double(phi[i])});
    }
  }
  return shapley;
}

nlohmann::json run_record(const ExperimentConfig& config, const RunInputs& inputs, const RunFacts& facts,
                          const fs::path& run_dir) {
  const auto& clinical = inputs.cohort.clinical;
  nlohmann::json embeddings = nlohmann::json::array();
  for (const auto& file : config.embeddings)
    embeddings.push_back(
        {{"path", fs::absolute(file).string()}, {"sha256", core::sha256_hex(core::read_text_file(file))}});
  // The same inputs as paths from the run folder, so a run moved together with its data reproduces.
  const auto run_root = fs::absolute(run_dir);
  auto from_run = [&](const fs::path& file) {
    return file.empty() ? std::string() : fs::absolute(file).lexically_relative(run_root).generic_string();
  };
  nlohmann::json relative_to_run = {{"config_dir", from_run(fs::absolute(config.source).parent_path())},
                                    {"manifest", from_run(config.manifest)},
                                    {"features", from_run(config.features)},
                                    {"clinical", from_run(clinical ? *clinical : fs::path())},
                                    {"embeddings", nlohmann::json::array()}};
  for (const auto& file : config.embeddings) relative_to_run["embeddings"].push_back(from_run(file));
  nlohmann::json excluded = nlohmann::json::array(), without_modality = nlohmann::json::array();
  for (const auto& [id, reason] : inputs.table.excluded) excluded.push_back({{"case_id", id}, {"reason", reason}});
  for (const auto& [id, reason] : inputs.crop_failures)
    without_modality.push_back({{"case_id", id}, {"reason", reason}});
  return {{"vbiopsy_version", VBIOPSY_VERSION},
          {"libtorch_version", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                                   std::to_string(TORCH_VERSION_PATCH)},
          {"config_file", config.source.string()},
          {"config_text", config.text},
          {"config_sha256", core::sha256_hex(config.text)},
          {"config_dir", fs::absolute(config.source).parent_path().string()},
          {"manifest", fs::absolute(config.manifest).string()},
          {"features", config.features.empty() ? std::string() : fs::absolute(config.features).string()},
          {"clinical", clinical ? fs::absolute(*clinical).string() : std::string()},
          {"manifest_sha256", core::sha256_hex(core::read_text_file(config.manifest))},
          {"features_sha256",
           config.features.empty() ? std::string() : core::sha256_hex(core::read_text_file(config.features))},
          {"clinical_sha256", clinical ? core::sha256_hex(core::read_text_file(*clinical)) : std::string()},
          {"fingerprint", facts.fingerprint},
          {"embeddings", embeddings},
          {"relative_to_run", relative_to_run},
          {"seed", config.seed},
          {"threads", config.threads},
          {"permute_labels", config.permute_labels},
          {"synthetic", modalities::is_synthetic_cohort(config.manifest)},
          {"source", config.citation},
          {"cases", inputs.table.size()},
          {"excluded", excluded},
          {"cases_without_crops", without_modality},
          {"reference_model", facts.reference},
          {"cells", facts.cells},
          {"cells_reused", facts.cells_reused},
          {"seconds", facts.seconds}};
}

}  // namespace vbiopsy::experiments
