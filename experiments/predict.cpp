#include "experiments/predict.h"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <set>

#include "core/csv.h"
#include "core/error.h"
#include "core/warnings.h"
#include "core/files.h"
#include "core/strings.h"
#include "datasets/case_folder.h"
#include "datasets/manifest.h"
#include "encoders/radiomics/cohort_extraction.h"
#include "experiments/feature_table.h"
#include "experiments/fitted_model.h"
#include "experiments/fold_habitats.h"
#include "experiments/image_inputs.h"
#include "experiments/statistics/metrics.h"
#include "experiments/svg.h"
#include "modalities/cohort_check.h"

namespace vbiopsy::experiments {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string problems_text(const std::vector<datasets::Problem>& problems) {
  std::string text;
  for (const auto& p : problems) text += "\n  " + datasets::to_string(p);
  return text;
}

// The case to predict, as a one-case cohort whose files were checked (grids, masks, formats).
datasets::Cohort read_case(const PredictRequest& request, unsigned threads) {
  fs::path manifest = request.case_path;
  if (fs::is_directory(request.case_path)) {
    manifest = request.out / "case" / "manifest.csv";
    datasets::write_case_folder_manifest(request.case_path, manifest);
  } else if (!fs::exists(request.case_path)) {
    core::fail("case ", request.case_path.string(), " does not exist (give a case folder or a manifest CSV)");
  }
  auto reading = datasets::read_cohort(manifest, std::nullopt, false);
  if (!reading.problems.empty()) core::fail("the case cannot be read:", problems_text(reading.problems));
  auto& cases = reading.cohort.cases;
  if (!request.case_id.empty()) {
    std::erase_if(cases, [&](const datasets::Case& c) { return c.case_id != request.case_id; });
    if (cases.empty()) core::fail(manifest.string(), " has no case '", request.case_id, "'");
  } else if (cases.size() != 1) {
    core::fail(manifest.string(), " holds ", cases.size(), " cases; name one with --case-id");
  }
  if (!fs::is_directory(request.case_path)) {
    fs::create_directories(request.out / "case");
    datasets::write_cohort(reading.cohort, request.out / "case" / "manifest.csv", std::nullopt);
  }
  const auto checks = modalities::check_cases(reading.cohort, threads);
  if (!checks.front().problems.empty()) core::fail("the case's images cannot be used:", problems_text(checks.front().problems));
  for (const auto& w : checks.front().warnings) core::warn(w);  // to predict_case's collector
  return reading.cohort;
}

// The extraction settings the bundle records, written into OUT/features for the record.
encoders::radiomics::CohortExtractionSettings recorded_settings(const PredictRequest& request, const json& run, const char* needed_for) {
  const auto& text = run.value("extraction_settings", json());
  if (!text.is_string())
    core::fail("model bundle ", request.bundle.string(), " does not record how its features were extracted (its run read a features.csv ",
               "without ", encoders::radiomics::kExtractionSettingsFile, " beside it), which ", needed_for);
  const auto file = request.out / "features" / encoders::radiomics::kExtractionSettingsFile;
  core::write_file_atomic(file, text.get<std::string>());
  auto settings = encoders::radiomics::read_cohort_extraction_settings(file);
  settings.threads = request.threads;
  return settings;
}

// The case's features: extracted with the bundle's settings, or read from the given table.
core::CsvTable case_features(const PredictRequest& request, const datasets::Cohort& cohort, const json& run, std::ostream& log) {
  if (!request.features.empty()) {
    auto table = core::read_csv(request.features);
    const auto id = table.column("case_id");
    const auto& case_id = cohort.cases.front().case_id;
    if (!id || std::none_of(table.rows.begin(), table.rows.end(), [&](const auto& row) { return core::trim(row[*id]) == case_id; }))
      core::fail(request.features.string(), ": no row for case '", case_id, "'");
    return table;
  }
  const auto folder = request.out / "features";
  auto settings = recorded_settings(request, run, "extracting the case needs; give the case's features with --features");
  settings.habitats = false;  // habitat columns are fitted on a cohort; models never use them
  const auto result = encoders::radiomics::extract_cohort(cohort, settings, folder);
  if (!result.failures.empty()) core::fail("feature extraction failed:", problems_text(result.failures));
  for (const auto& [id, w] : result.warnings) core::warn(w);
  log << "extracted the case's features (" << result.computed << " blocks computed, " << result.from_cache << " from cache)\n";
  return core::read_csv(folder / "features.csv");
}

json probabilities_json(const Eigen::MatrixXd& p, Eigen::Index row) {
  json out = json::object();
  for (int k = 0; k < kClasses; ++k) out[kClassNames[k]] = p(row, k);
  return out;
}

std::string percent(double v) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", 100 * v);
  return buffer;
}

std::string case_report(const json& prediction) {
  std::string html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>vbiopsy case report</title><style>"
                     "body{font-family:sans-serif;margin:24px;max-width:900px}table{border-collapse:collapse;margin:8px 0 20px}"
                     "td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left}th{background:#f2f2f2}"
                     ".note{color:#555;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:16px}</style></head><body>";
  html += "<h1>HER2 virtual biopsy: case " + html_escape(prediction.at("case_id").get<std::string>()) + "</h1>";
  html += "<p>Predicted class: <b>HER2-" + html_escape(prediction.at("predicted_class").get<std::string>()) + "</b> (" +
          percent(prediction.at("probabilities").at(prediction.at("predicted_class").get<std::string>()).get<double>()) + ") by model <code>" +
          html_escape(prediction.at("model").get<std::string>()) + "</code>.</p>";
  std::vector<std::pair<std::string, double>> bars;
  for (int k = 0; k < kClasses; ++k) bars.emplace_back(std::string("HER2-") + kClassNames[k], prediction["probabilities"][kClassNames[k]].get<double>());
  html += "<div class=\"charts\">" + bar_chart("Class probabilities", bars);
  std::vector<std::pair<std::string, double>> contributions;
  for (const auto& [modality, c] : prediction["contributions"].items())
    if (c.at("change").is_number()) contributions.emplace_back(modality, c.at("change").get<double>());
  if (!contributions.empty()) html += bar_chart("Contribution to P(predicted class)", contributions);
  std::vector<std::pair<std::string, double>> weights;
  for (const auto& [modality, w] : prediction["modality_weights"].items()) weights.emplace_back(modality, w.get<double>());
  if (!weights.empty()) html += bar_chart("Modality weights (attention / gates)", weights);
  html += "</div><h2>Modalities</h2><table><tr><th>modality</th><th>present</th><th>P(zero, low, positive) without it</th></tr>";
  for (const auto& [modality, present] : prediction["modalities_present"].items()) {
    std::string without = "–";
    if (prediction["contributions"].contains(modality)) {
      const auto& p = prediction["contributions"][modality]["without"];
      if (p.is_object()) without = percent(p["zero"]) + ", " + percent(p["low"]) + ", " + percent(p["positive"]);
    }
    html += "<tr><td>" + html_escape(modality) + "</td><td>" + (present.get<bool>() ? "yes" : "<b>no</b>") + "</td><td>" + without + "</td></tr>";
  }
  html += "</table><p class=\"note\">Contribution: how much the predicted class's probability falls when the modality is withheld "
          "(the model's own missing-modality path).</p>";
  const auto& model = prediction.at("model_evidence");
  html += "<h2>The model</h2><table>";
  html += "<tr><th>trained on</th><td>" + std::to_string(model.value("training_cases", 0)) + " cases</td></tr>";
  if (model.contains("cross_validated") && model["cross_validated"].contains("macro_auc")) {
    const auto& auc = model["cross_validated"]["macro_auc"];
    auto text = [](const json& v) { return v.is_number() ? core::format_double(std::round(v.get<double>() * 1000) / 1000) : std::string("–"); };
    html += "<tr><th>cross-validated macro-AUC (" + html_escape(model.value("validation", "")) + ")</th><td>" + text(auc["estimate"]) + " (95% CI " +
            text(auc["lower"]) + "–" + text(auc["upper"]) + ")</td></tr>";
  }
  html += "<tr><th>bundle</th><td><code>" + html_escape(prediction.value("bundle", "")) + "</code></td></tr></table>";
  if (!prediction["warnings"].empty()) {
    html += "<h2>Warnings</h2><ul>";
    for (const auto& w : prediction["warnings"]) html += "<li>" + html_escape(w.get<std::string>()) + "</li>";
    html += "</ul>";
  }
  html += "<p class=\"note\">Research software: not a medical device. The prediction does not replace immunohistochemistry.</p></body></html>\n";
  return html;
}

}  // namespace

json predict_case(const PredictRequest& request, std::ostream& log) {
  core::WarningCollector reader_warnings;  // what the readers tolerated in this case's files
  json run;
  auto model = FittedModel::load(request.bundle, &run);
  fs::create_directories(request.out);
  const auto cohort = read_case(request, request.threads);
  const auto& c = cohort.cases.front();
  // Modalities read by image encoders need the case's images, not its radiomics.
  std::set<std::string> image_only;
  for (size_t m = 0; m < model.subset().size(); ++m)
    if (model.image_inputs()[m]) image_only.insert(model.subset()[m]);
  const bool needs_features = std::any_of(model.subset().begin(), model.subset().end(),
                                          [&](const std::string& m) { return m != "clinical" && !image_only.count(m); });
  auto features = needs_features ? case_features(request, cohort, run, log) : case_id_table(cohort);
  const auto needed = run.value("embeddings", std::vector<std::string>{});
  if (!needed.empty() && request.embeddings.empty())
    core::fail("model bundle ", request.bundle.string(), " was trained with embedding columns from ", core::join(needed, ", "),
               "; give the case's rows with --embeddings");
  for (const auto& file : request.embeddings) features = join_by_case_id(features, core::read_csv(file));
  std::map<std::string, std::vector<std::string>> prefixes;
  if (run.contains("column_prefixes")) prefixes = run["column_prefixes"].get<std::map<std::string, std::vector<std::string>>>();
  // The clinical columns of the training cohort, so this case gets exactly those.
  std::optional<ClinicalSpec> clinical;
  if (run.contains("clinical_columns")) clinical = clinical_spec_from_json(run["clinical_columns"]);
  auto table = build_feature_table(cohort, features, model.subset(), prefixes, false, image_only, clinical ? &*clinical : nullptr);
  for (const auto& spec : model.image_inputs()) {
    if (!spec) continue;
    std::vector<std::pair<std::string, std::string>> failures;
    auto crops = image_block_of(cohort, {c.case_id}, *spec, request.threads, &failures);
    if (!failures.empty()) core::fail("case '", c.case_id, "': ", failures.front().second);
    add_image_block(table, std::move(crops));
  }
  if (std::find(model.subset().begin(), model.subset().end(), "habitats") != model.subset().end()) {
    // The habitat model of the bundle's training cases, applied to this case's voxels.
    if (!run.contains("habitats")) core::fail("model bundle ", request.bundle.string(), " uses habitats but holds no habitat model");
    const auto habitats = FoldHabitats::load(run["habitats"]);
    const auto settings = recorded_settings(request, run, "the case's habitats need");
    std::vector<std::pair<std::string, std::string>> failures;
    const auto voxels = habitat_voxels_of(cohort, {c.case_id}, settings, request.threads, &failures);
    if (!failures.empty()) core::fail("case '", c.case_id, "': habitats: ", failures.front().second);
    table = with_block(table, habitats.block(voxels));
  }
  model.bind(table);

  const auto& subset = model.subset();
  json warnings = reader_warnings.messages(), present = json::object();
  size_t present_count = 0;
  for (size_t m = 0; m < subset.size(); ++m) {
    const bool here = table.block(subset[m]).present[0];
    present[subset[m]] = here;
    present_count += here;
    if (here || model.absent_in_training()[m] > 0) continue;
    if (model.is_classical())
      core::fail("model ", run.value("model", model.fusion()), " (", model.fusion(), ") was trained only on cases with ", subset[m], "; case '",
                 c.case_id, "' has no ", subset[m], ". Give it, or use a model trained on cases without it (e.g. a fusion network)");
    warnings.push_back("every training case had " + subset[m] + "; this case has none: the model's missing-modality path is untested on real absences");
  }
  for (size_t m = 0; m < subset.size(); ++m)
    if (table.block(subset[m]).present[0] && subset[m] != "clinical" && model.preprocessors()[m].harmonised() &&
        !model.preprocessors()[m].harmonises(c.site))
      warnings.push_back("site '" + c.site + "' had no training case: ComBat leaves its " + subset[m] + " features uncorrected");
  if (present_count == 0)
    core::fail("case '", c.case_id, "' has none of the modalities the model uses (", core::join(subset, ", "), ")");

  const auto full = model.predict(table, {0});
  int predicted = 0;
  for (int k = 1; k < kClasses; ++k)
    if (full.probabilities(0, k) > full.probabilities(0, predicted)) predicted = k;
  json contributions = json::object(), weights = json::object();
  for (size_t m = 0; m < subset.size(); ++m) {
    if (!table.block(subset[m]).present[0]) continue;
    if (present_count < 2 || (model.is_classical() && model.absent_in_training()[m] == 0)) {
      contributions[subset[m]] = {{"without", nullptr}, {"change", nullptr}};
      continue;
    }
    auto withheld = table;
    withheld.blocks[m].present[0] = false;
    const auto without = model.predict(withheld, {0});
    contributions[subset[m]] = {{"without", probabilities_json(without.probabilities, 0)},
                                {"change", full.probabilities(0, predicted) - without.probabilities(0, predicted)}};
  }
  for (Eigen::Index m = 0; m < full.weights.cols(); ++m) weights[subset[static_cast<size_t>(m)]] = full.weights(0, m);

  json prediction = {{"case_id", c.case_id},
                     {"model", run.value("model", model.fusion())},
                     {"bundle", fs::absolute(request.bundle).lexically_normal().string()},
                     {"predicted_class", kClassNames[predicted]},
                     {"probabilities", probabilities_json(full.probabilities, 0)},
                     {"modalities_present", present},
                     {"contributions", contributions},
                     {"modality_weights", weights},
                     {"warnings", warnings},
                     {"model_evidence",
                      {{"training_cases", run.value("training_cases", 0)},
                       {"validation", run.value("validation", "")},
                       {"cross_validated", run.value("cross_validated", json::object())}}}};
  core::write_file_atomic(request.out / "prediction.json", prediction.dump(1) + "\n");
  core::write_file_atomic(request.out / "report.html", case_report(prediction));
  return prediction;
}

}  // namespace vbiopsy::experiments
