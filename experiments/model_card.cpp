#include "experiments/model_card.h"

#include <cmath>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "experiments/bundle_file.h"
#include "experiments/statistics/metrics.h"
#include "fusion/json_integers.h"

namespace vbiopsy::experiments {

namespace {

std::string rounded(const nlohmann::json& v) {
  return v.is_number() ? core::format_double(std::round(v.get<double>() * 1000) / 1000) : std::string("n/a");
}

std::string with_ci(const nlohmann::json& interval) {
  return rounded(interval.value("estimate", nlohmann::json())) + " (95% CI " +
         rounded(interval.value("lower", nlohmann::json())) + "-" + rounded(interval.value("upper", nlohmann::json())) +
         ")";
}

}  // namespace

nlohmann::json model_card(const ModelCardInputs& in) {
  // Training data: cases per class and per site.
  nlohmann::json per_class = nlohmann::json::object(), per_site = nlohmann::json::object();
  std::map<std::string, std::array<long, kClasses>> sites;
  for (size_t i : in.train) {
    ++sites[in.table.sites[i]][in.labels[i]];
  }
  std::array<long, kClasses> total{};
  for (const auto& [site, counts] : sites) {
    nlohmann::json entry = nlohmann::json::object();
    for (int k = 0; k < kClasses; ++k) {
      entry[kClassNames[k]] = counts[k];
      total[k] += counts[k];
    }
    per_site[site] = entry;
  }
  for (int k = 0; k < kClasses; ++k) per_class[kClassNames[k]] = total[k];
  nlohmann::json inputs = nlohmann::json::array();
  for (size_t m = 0; m < in.cell.subset.size(); ++m)
    inputs.push_back({{"modality", in.cell.subset[m]}, {"encoder", in.cell.encoders[m]}});
  nlohmann::json calibration = {{"method", in.config.calibration}};
  if (in.metrics.contains("calibration")) calibration.update(in.metrics["calibration"]);
  if (in.metrics.contains("conformal")) calibration["conformal"] = in.metrics["conformal"];
  std::vector<std::string> limits = {
      "Research software, not a medical device; a prediction does not replace immunohistochemistry.",
      "Validated only by " + in.config.validation +
          " cross-validation on the training cohort; no external test set unless the run had one.",
      "Cases unlike the training cases (out-of-distribution warnings) extrapolate; figures for missing modalities are "
      "quoted per subset."};
  if (in.synthetic)
    limits.insert(limits.begin(), "Trained on SYNTHETIC data: its figures say nothing about real patients.");
  return {
      {"model", in.cell.name},
      {"intended_use",
       "Research: estimate the HER2 class (zero, low, positive; ASCO/CAP 2018/2023) of a breast tumour from the "
       "modalities below, to compare models and study virtual biopsy. Not for clinical decisions."},
      {"training_data",
       {{"synthetic", in.synthetic}, {"cases", in.train.size()}, {"per_class", per_class}, {"per_site", per_site}}},
      {"inputs", inputs},
      {"validation", {{"scheme", in.config.validation}, {"folds", in.config.folds}, {"repeats", in.config.repeats}}},
      {"cross_validated",
       {{"macro_auc", in.metrics.at("metrics").at("macro_auc")}, {"by_modalities", in.by_modalities}}},
      {"calibration", calibration},
      {"known_limits", limits}};
}

nlohmann::json read_model_card(const std::filesystem::path& bundle) {
  const auto json = read_bundle_json(bundle);
  const auto run = json.value("run", nlohmann::json::object());
  if (!run.contains("model_card"))
    core::fail("model bundle ", bundle.string(), " carries no model card (export it again)");
  return run["model_card"];
}

std::string model_card_text(const nlohmann::json& card) {
  std::string out = "Model card: " + card.value("model", "") + "\n\nIntended use: " + card.value("intended_use", "") +
                    "\n\nTraining data: ";
  const auto& data = card.at("training_data");
  out += std::to_string(fusion::json_count_or(data, "cases", 0)) + " cases" +
         (data.value("synthetic", false) ? " (SYNTHETIC)" : "") + "; per class";
  for (const auto& [name, n] : data.at("per_class").items())
    out += " " + name + " " + std::to_string(fusion::json_integer(n, name, 0));
  out += "; sites";
  for (const auto& [site, counts] : data.at("per_site").items()) {
    long n = 0;
    for (const auto& [k, v] : counts.items()) n += fusion::json_integer(v, k, 0);
    out += " " + site + " (" + std::to_string(n) + ")";
  }
  out += "\n\nInputs:";
  for (const auto& input : card.at("inputs"))
    out += " " + input.value("modality", "") + " (" + input.value("encoder", "") + ")";
  out += "\n\nCross-validated macro-AUC (" + card.at("validation").value("scheme", "") +
         "): " + with_ci(card.at("cross_validated").at("macro_auc"));
  for (const auto& [subset, figures] : card.at("cross_validated").at("by_modalities").items()) {
    out += "\n  cases with only " + subset + ":";
    if (figures.contains("held_out_cases"))
      out += " this model " + with_ci(figures["held_out_cases"]["macro_auc"]) + " on " +
             std::to_string(fusion::json_integer(figures["held_out_cases"]["cases"], "cases", 0)) + " cases;";
    if (figures.contains("ablation_cell"))
      out += " " + figures["ablation_cell"].value("model", "") + " " + with_ci(figures["ablation_cell"]["macro_auc"]);
  }
  const auto& calibration = card.at("calibration");
  out += "\n\nCalibration: " + calibration.value("method", "none");
  if (calibration.contains("ece_uncalibrated")) out += " (ECE before " + rounded(calibration["ece_uncalibrated"]) + ")";
  if (calibration.contains("conformal"))
    out += "; prediction sets at alpha " + rounded(calibration["conformal"]["alpha"]) + " covered " +
           with_ci(calibration["conformal"]["coverage"]) + " of held-out cases";
  out += "\n\nKnown limits:";
  for (const auto& limit : card.at("known_limits")) out += "\n- " + limit.get<std::string>();
  return out + "\n";
}

}  // namespace vbiopsy::experiments
