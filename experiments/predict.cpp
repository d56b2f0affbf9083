#include "experiments/predict.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <ostream>
#include <set>
#include <sstream>
#include <optional>
#include <map>
#include <mutex>

#include "core/csv.h"
#include "core/error.h"
#include "core/warnings.h"
#include "core/files.h"
#include "core/parallel.h"
#include "core/hash.h"
#include "core/strings.h"
#include "datasets/case_folder.h"
#include "datasets/manifest.h"
#include "extraction/cohort_extraction.h"
#include "experiments/bundle_file.h"
#include "experiments/case_thumbnails.h"
#include "experiments/explanations.h"
#include "experiments/feature_table.h"
#include "experiments/fitted_model.h"
#include "experiments/fold_habitats.h"
#include "experiments/image_inputs.h"
#include "experiments/statistics/metrics.h"
#include "experiments/svg.h"
#include "modalities/cohort_check.h"
#include "modalities/dicom/dicom_file.h"
#include "modalities/dicom/structured_report.h"
#include "fusion/json_integers.h"

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
  if (!checks.front().problems.empty())
    core::fail("the case's images cannot be used:", problems_text(checks.front().problems));
  for (const auto& w : checks.front().warnings) core::warn(w);  // to predict_case's collector
  return reading.cohort;
}

// The extraction settings the bundle records, written into OUT/features for the record.
extraction::CohortExtractionSettings recorded_settings(const PredictRequest& request, const json& run,
                                                       const char* needed_for) {
  const auto& text = run.value("extraction_settings", json());
  if (!text.is_string())
    core::fail("model bundle ", request.bundle.string(),
               " does not record how its features were extracted (its run read a features.csv ", "without ",
               extraction::kExtractionSettingsFile, " beside it), which ", needed_for);
  const auto file = request.out / "features" / extraction::kExtractionSettingsFile;
  core::write_file_atomic(file, text.get<std::string>());
  auto settings = extraction::read_cohort_extraction_settings(file);
  settings.threads = request.threads;
  return settings;
}

// The case's features: extracted with the bundle's settings, or read from the given table.
core::CsvTable case_features(const PredictRequest& request, const datasets::Cohort& cohort, const json& run,
                             std::ostream& log) {
  if (!request.features.empty()) {
    auto table = core::read_csv(request.features);
    const auto id = table.column("case_id");
    const auto& case_id = cohort.cases.front().case_id;
    if (!id || std::none_of(table.rows.begin(), table.rows.end(),
                            [&](const auto& row) { return core::trim(row[*id]) == case_id; }))
      core::fail(request.features.string(), ": no row for case '", case_id, "'");
    return table;
  }
  const auto folder = request.out / "features";
  auto settings =
      recorded_settings(request, run, "extracting the case needs; give the case's features with --features");
  settings.habitats = false;  // habitat columns are fitted on a cohort; models never use them
  const auto result = extraction::extract_cohort(cohort, settings, folder);
  if (!result.failures.empty()) core::fail("feature extraction failed:", problems_text(result.failures));
  for (const auto& [id, w] : result.warnings) core::warn(w);
  log << "extracted the case's features (" << result.computed << " blocks computed, " << result.from_cache
      << " from cache)\n";
  return core::read_csv(folder / "features.csv");
}

json probabilities_json(const Eigen::MatrixXd& p, Eigen::Index row) {
  json out = json::object();
  for (int k = 0; k < kClasses; ++k) out[kClassNames[k]] = p(row, k);
  return out;
}

// The conformal set with what it promises, or null when the model has none.
json prediction_set_json(const ConformalSets& conformal, const std::vector<ClassSet>& sets) {
  if (!conformal.enabled() || sets.empty()) return nullptr;
  json classes = json::array();
  for (int k = 0; k < kClasses; ++k)
    if (sets[0] & (1u << k)) classes.push_back(kClassNames[k]);
  return {
      {"classes", classes},
      {"text", set_description(sets[0])},
      {"alpha", conformal.alpha},
      {"meaning", "for cases like the calibration cases, the true class lies in such a set " +
                      core::format_double(100 * (1 - conformal.alpha)) + "% of the time (split-conformal, per class)"}};
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(); }

// Per modality the case has (feature columns): how far it lies from the training cases; warnings
// for a distance beyond the threshold, for clipped values, and for many values beyond the
// training range (one or two beyond it are common for ordinary cases with many features).
json atypicality_json(const FittedModel& model, const FeatureTable& table, json& warnings) {
  json out = json::object();
  const auto checks = model.atypicality(table, 0);
  for (size_t m = 0; m < checks.size(); ++m) {
    const auto& modality = model.subset()[m];
    if (!table.block(modality).present[0] || model.image_inputs()[m]) continue;
    const auto& a = checks[m];
    const auto columns = model.preprocessors()[m].selected_names().size();
    out[modality] = {{"distance", number_or_null(a.distance)},
                     {"threshold", number_or_null(a.threshold)},
                     {"far", a.far()},
                     {"features", columns},
                     {"beyond_training_range", a.beyond_range},
                     {"clipped", a.clipped}};
    auto names = [](const std::vector<std::string>& all) {
      std::vector<std::string> shown(all.begin(),
                                     all.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(all.size(), 5)));
      return core::join(shown, ", ") + (all.size() > 5 ? ", ..." : "");
    };
    if (a.far())
      warnings.push_back(modality + " features lie far from the training cases (Mahalanobis distance " +
                         core::format_double(std::round(a.distance * 10) / 10) +
                         "; 99% of held-out training cases lie within " +
                         core::format_double(std::round(a.threshold * 10) / 10) + "): the prediction extrapolates");
    if (!a.clipped.empty())
      warnings.push_back(
          modality + ": " + std::to_string(a.clipped.size()) +
          " feature(s) more than 10 SD from the training mean were clipped to 10 SD: " + names(a.clipped));
    if (a.beyond_range.size() >= std::max<size_t>(2, (columns + 9) / 10))
      warnings.push_back(modality + ": " + std::to_string(a.beyond_range.size()) + " of " + std::to_string(columns) +
                         " features lie outside the range of the training cases: " + names(a.beyond_range));
  }
  return out;
}

// Shapley values of the selected features (explanations.h: exact for logistic and xgboost, else
// sampled), written in full to
// explanations/shap.csv; prediction.json keeps the ten largest for the predicted class.
json explanation_json(const FittedModel& model, const FeatureTable& table, int predicted, const fs::path& out) {
  constexpr int kPermutations = 16;
  const auto explanation = explain_case(model, table, 0, kPermutations, 1);
  fs::create_directories(out / "explanations");
  core::write_file_atomic(out / "explanations" / "shap.csv", explanation_csv(explanation, predicted));
  auto features = explanation.features;
  std::stable_sort(features.begin(), features.end(), [&](const FeatureAttribution& a, const FeatureAttribution& b) {
    return std::abs(a.shapley[predicted]) > std::abs(b.shapley[predicted]);
  });
  json top = json::array();
  for (size_t i = 0; i < std::min<size_t>(10, features.size()); ++i)
    top.push_back({{"modality", features[i].modality},
                   {"feature", features[i].feature},
                   {"value", number_or_null(features[i].value)},
                   {"shap", features[i].shapley[predicted]}});
  return {{"method", explanation.method},        {"scale", explanation.scale}, {"class", kClassNames[predicted]},
          {"base", explanation.base[predicted]}, {"top_features", top},        {"file", "explanations/shap.csv"}};
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

// Who made this prediction from what: program and version, UTC time, the bundle (SHA-256 of its
// bundle.json, which records the SHA-256 of its network files) and every input file's SHA-256.
json provenance(const PredictRequest& request, const datasets::Cohort& cohort) {
  json inputs = json::array();
  auto add = [&](const fs::path& file) {
    core::Sha256 hash;
    hash.add_path(file);
    inputs.push_back({{"path", fs::absolute(file).lexically_normal().string()}, {"sha256", hash.hex()}});
  };
  for (const auto& file : datasets::input_files(cohort.cases.front())) add(file);
  if (cohort.clinical) add(*cohort.clinical);
  if (!request.features.empty()) add(request.features);
  for (const auto& file : request.embeddings) add(file);
  return {{"program", "vbiopsy predict"},
          {"version", VBIOPSY_VERSION},
          {"utc_time", utc_now()},
          {"bundle_json_sha256", file_sha256(request.bundle / "bundle.json")},
          {"inputs", inputs}};
}

// The DICOM instances among a case's inputs (files, or the files of DICOM folders), for the
// structured report's evidence; a DICOM file without the identifying UIDs is named in a warning.
std::vector<modalities::dicom::InstanceReference> dicom_evidence(const datasets::Case& c, json& warnings) {
  std::vector<fs::path> files;
  for (const auto& path : datasets::input_files(c)) {
    if (!fs::is_directory(path)) {
      files.push_back(path);
      continue;
    }
    std::vector<fs::path> inside;
    for (const auto& entry : fs::recursive_directory_iterator(path))
      if (entry.is_regular_file()) inside.push_back(entry.path());
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  std::vector<modalities::dicom::InstanceReference> out;
  for (const auto& file : files) {
    if (!modalities::dicom::looks_like_dicom(file)) continue;
    try {
      out.push_back(modalities::dicom::instance_reference_of(file));
    } catch (const core::Error& e) {
      warnings.push_back(std::string("the structured report does not reference ") + e.what());
    }
  }
  return out;
}

// prediction_sr.dcm: what prediction.json says, as a DICOM Comprehensive SR.
void write_structured_report(const json& prediction, std::vector<modalities::dicom::InstanceReference> evidence,
                             const fs::path& file) {
  modalities::dicom::PredictionReport report;
  report.algorithm_name = "vbiopsy " + prediction.at("model").get<std::string>();
  report.algorithm_version = VBIOPSY_VERSION;
  report.observation_subject = prediction.at("case_id").get<std::string>();
  for (int k = 0; k < kClasses; ++k)
    report.probabilities.emplace_back(std::string("HER2-") + kClassNames[k],
                                      prediction.at("probabilities").at(kClassNames[k]).get<double>());
  report.predicted_class = "HER2-" + prediction.at("predicted_class").get<std::string>();
  if (const auto& set = prediction.at("prediction_set"); !set.is_null())
    report.prediction_set = set.at("text").get<std::string>() + " (alpha " +
                            core::format_double(set.at("alpha").get<double>()) + "; " +
                            set.at("meaning").get<std::string>() + ")";
  report.model_sha256 = prediction.at("provenance").at("bundle_json_sha256").get<std::string>();
  for (const auto& w : prediction.at("warnings")) report.warnings.push_back(w.get<std::string>());
  const auto& card = prediction.at("model_card");
  report.statement = "Research use only; not a medical device. " +
                     (card.is_object() ? card.value("intended_use", std::string())
                                       : std::string("A research model's estimate of the HER2 class."));
  report.evidence = std::move(evidence);
  modalities::dicom::write_prediction_sr(report, file);
}

std::string percent(double v) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", 100 * v);
  return buffer;
}

// The pictures of the case's images with their regions outlined (case_thumbnails.h).
std::string images_section(const std::vector<CaseThumbnail>& pictures) {
  if (pictures.empty()) return "";
  std::string html = "<h2>Images and regions</h2><div class=\"charts\">";
  for (const auto& p : pictures)
    html += "<figure style=\"margin:0\">" + inline_png(p.png, p.caption) + "<figcaption class=\"note\">" +
            html_escape(p.caption) + " (region outlined in red" +
            (p.method.empty() ? "" : "; warm colours: where the encoder looked for the predicted class") +
            ")</figcaption></figure>";
  return html + "</div>";
}

std::string case_report(const json& prediction, const std::vector<CaseThumbnail>& pictures) {
  std::string html =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>vbiopsy case report</title><style>"
      "body{font-family:sans-serif;margin:24px;max-width:900px}table{border-collapse:collapse;margin:8px 0 20px}"
      "td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left}th{background:#f2f2f2}"
      ".note{color:#555;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:16px}</style></head><body>";
  html += "<h1>HER2 virtual biopsy: case " + html_escape(prediction.at("case_id").get<std::string>()) + "</h1>";
  html +=
      "<p>Predicted class: <b>HER2-" + html_escape(prediction.at("predicted_class").get<std::string>()) + "</b> (" +
      percent(prediction.at("probabilities").at(prediction.at("predicted_class").get<std::string>()).get<double>()) +
      ") by model <code>" + html_escape(prediction.at("model").get<std::string>()) + "</code>.</p>";
  if (prediction.at("prediction_set").is_object()) {
    const auto& set = prediction["prediction_set"];
    html += "<p>Prediction set at " + percent(1 - set.at("alpha").get<double>()) + " confidence: <b>" +
            html_escape(set.at("text").get<std::string>()) + "</b> <span class=\"note\">(" +
            html_escape(set.at("meaning").get<std::string>()) + ")</span></p>";
  }
  if (prediction.value("calibration", "none") != "none")
    html += "<p class=\"note\">Probabilities calibrated (" + html_escape(prediction["calibration"].get<std::string>()) +
            ") on training cases held out of the model's fitting.</p>";
  html += images_section(pictures);
  std::vector<std::pair<std::string, double>> bars;
  for (int k = 0; k < kClasses; ++k)
    bars.emplace_back(std::string("HER2-") + kClassNames[k], prediction["probabilities"][kClassNames[k]].get<double>());
  html += "<div class=\"charts\">" + bar_chart("Class probabilities", bars);
  std::vector<std::pair<std::string, double>> contributions;
  for (const auto& [modality, c] : prediction["contributions"].items())
    if (c.at("change").is_number()) contributions.emplace_back(modality, c.at("change").get<double>());
  if (!contributions.empty()) html += bar_chart("Contribution to P(predicted class)", contributions);
  if (prediction.contains("explanation") && !prediction["explanation"]["top_features"].empty()) {
    std::vector<std::pair<std::string, double>> shap;
    for (const auto& f : prediction["explanation"]["top_features"])
      shap.emplace_back(f["modality"].get<std::string>() + ": " + f["feature"].get<std::string>(),
                        f["shap"].get<double>());
    const auto& e = prediction["explanation"];
    const bool margin = e.value("scale", "") != "probability";
    html += bar_chart("Features behind " + std::string(margin ? "the logit of " : "P(") +
                          e["class"].get<std::string>() + (margin ? "" : ")") + " (Shapley values)",
                      shap);
  }
  std::vector<std::pair<std::string, double>> weights;
  for (const auto& [modality, w] : prediction["modality_weights"].items())
    weights.emplace_back(modality, w.get<double>());
  if (!weights.empty()) html += bar_chart("Modality weights (attention / gates)", weights);
  html += "</div>";
  if (prediction.contains("explanation"))
    html += "<p>Feature attributions: " +
            html_escape(prediction["explanation"].value("method", std::string("Shapley values"))) + ".</p>";
  html +=
      "<h2>Modalities</h2><table><tr><th>modality</th><th>present</th><th>P(zero, low, positive) without it</th></tr>";
  for (const auto& [modality, present] : prediction["modalities_present"].items()) {
    std::string without = "–";
    if (prediction["contributions"].contains(modality)) {
      const auto& p = prediction["contributions"][modality]["without"];
      if (p.is_object()) without = percent(p["zero"]) + ", " + percent(p["low"]) + ", " + percent(p["positive"]);
    }
    html += "<tr><td>" + html_escape(modality) + "</td><td>" + (present.get<bool>() ? "yes" : "<b>no</b>") +
            "</td><td>" + without + "</td></tr>";
  }
  html +=
      "</table><p class=\"note\">Contribution: how much the predicted class's probability falls when the modality is "
      "withheld "
      "(the model's own missing-modality path).</p>";
  const auto& model = prediction.at("model_evidence");
  if (!prediction["out_of_distribution"].empty()) {
    html +=
        "<h2>Is the case like the training cases?</h2><table><tr><th>modality</th><th>distance "
        "(threshold)</th><th>outside the training range</th>"
        "<th>clipped at 10 SD</th></tr>";
    for (const auto& [modality, a] : prediction["out_of_distribution"].items()) {
      const std::string distance =
          a["distance"].is_number() ? core::format_double(std::round(a["distance"].get<double>() * 10) / 10) + " (" +
                                          core::format_double(std::round(a["threshold"].get<double>() * 10) / 10) + ")"
                                    : "–";
      html += "<tr><td>" + html_escape(modality) + "</td><td>" +
              (a["far"].get<bool>() ? "<b>" + distance + "</b>" : distance) + "</td><td>" +
              std::to_string(a["beyond_training_range"].size()) + " of " +
              std::to_string(fusion::json_integer(a["features"], "features", 0)) + "</td><td>" +
              std::to_string(a["clipped"].size()) + "</td></tr>";
    }
    html +=
        "</table><p class=\"note\">Mahalanobis distance on the model's standardised features; the threshold is the "
        "99th percentile of "
        "held-out training cases' distances.</p>";
  }
  html += "<h2>The model</h2><table>";
  html += "<tr><th>trained on</th><td>" + std::to_string(fusion::json_count_or(model, "training_cases", 0)) +
          " cases</td></tr>";
  auto text = [](const json& v) {
    return v.is_number() ? core::format_double(std::round(v.get<double>() * 1000) / 1000) : std::string("–");
  };
  // A case without some of the model's modalities is quoted the figures for what it has.
  const bool partial = model.contains("cross_validated_for_present") && !model["cross_validated_for_present"].is_null();
  const bool unmeasured = model.contains("present_modalities") && model.contains("cross_validated_for_present") &&
                          !partial && prediction["modalities_present"].size() > 0 &&
                          std::any_of(prediction["modalities_present"].begin(), prediction["modalities_present"].end(),
                                      [](const json& v) { return !v.get<bool>(); });
  if (model.contains("cross_validated") && model["cross_validated"].contains("macro_auc")) {
    const auto& auc = model["cross_validated"]["macro_auc"];
    html += "<tr><th>cross-validated macro-AUC (" + html_escape(model.value("validation", "")) + ")" +
            (partial || unmeasured ? " with every modality, <b>not this case's</b>" : "") + "</th><td>" +
            text(auc["estimate"]) + " (95% CI " + text(auc["lower"]) + "–" + text(auc["upper"]) + ")</td></tr>";
  }
  if (partial) {
    const auto& f = model["cross_validated_for_present"];
    const std::string present = html_escape(model.value("present_modalities", ""));
    if (f.contains("held_out_cases")) {
      const auto& auc = f["held_out_cases"]["macro_auc"];
      html += "<tr><th>this model on held-out cases with only " + present + " (" +
              std::to_string(fusion::json_integer(f["held_out_cases"]["cases"], "cases", 0)) + " cases)</th><td>" +
              text(auc["estimate"]) + " (95% CI " + text(auc["lower"]) + "–" + text(auc["upper"]) + ")</td></tr>";
    }
    if (f.contains("ablation_cell")) {
      const auto& auc = f["ablation_cell"]["macro_auc"];
      html += "<tr><th>the same method trained on " + present + " alone (" +
              html_escape(f["ablation_cell"]["model"].get<std::string>()) + ")</th><td>" + text(auc["estimate"]) +
              " (95% CI " + text(auc["lower"]) + "–" + text(auc["upper"]) + ")</td></tr>";
    }
  }
  html += "<tr><th>bundle</th><td><code>" + html_escape(prediction.value("bundle", "")) + "</code></td></tr></table>";
  if (prediction.contains("model_card") && prediction["model_card"].is_object()) {
    const auto& card = prediction["model_card"];
    html += "<h2>Model card</h2><p>" + html_escape(card.value("intended_use", "")) + "</p><ul>";
    for (const auto& limit : card.value("known_limits", json::array()))
      html += "<li>" + html_escape(limit.get<std::string>()) + "</li>";
    html += "</ul><p class=\"note\">Full card: <code>vbiopsy predict --model BUNDLE --card</code>.</p>";
  }
  if (!prediction["warnings"].empty()) {
    html += "<h2>Warnings</h2><ul>";
    for (const auto& w : prediction["warnings"]) html += "<li>" + html_escape(w.get<std::string>()) + "</li>";
    html += "</ul>";
  }
  html +=
      "<p class=\"note\">Research software: not a medical device. The prediction does not replace "
      "immunohistochemistry.</p></body></html>\n";
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
  const bool needs_features = std::any_of(model.subset().begin(), model.subset().end(), [&](const std::string& m) {
    return m != "clinical" && !image_only.count(m);
  });
  auto features = needs_features ? case_features(request, cohort, run, log) : case_id_table(cohort);
  const auto needed = run.value("embeddings", std::vector<std::string>{});
  if (!needed.empty() && request.embeddings.empty())
    core::fail("model bundle ", request.bundle.string(), " was trained with embedding columns from ",
               core::join(needed, ", "), "; give the case's rows with --embeddings");
  for (const auto& file : request.embeddings) features = join_by_case_id(features, core::read_csv(file));
  std::map<std::string, std::vector<std::string>> prefixes;
  if (run.contains("column_prefixes"))
    prefixes = run["column_prefixes"].get<std::map<std::string, std::vector<std::string>>>();
  // The clinical columns of the training cohort, so this case gets exactly those.
  std::optional<ClinicalSpec> clinical;
  if (run.contains("clinical_columns")) clinical = clinical_spec_from_json(run["clinical_columns"]);
  auto table = build_feature_table(cohort, features, model.subset(), prefixes, false, image_only,
                                   clinical ? &*clinical : nullptr);
  for (const auto& spec : model.image_inputs()) {
    if (!spec) continue;
    std::vector<std::pair<std::string, std::string>> failures;
    auto crops = image_block_of(cohort, {c.case_id}, *spec, request.threads, &failures);
    if (!failures.empty()) core::fail("case '", c.case_id, "': ", failures.front().second);
    add_image_block(table, std::move(crops));
  }
  if (std::find(model.subset().begin(), model.subset().end(), "habitats") != model.subset().end()) {
    // The habitat model of the bundle's training cases, applied to this case's voxels.
    if (!run.contains("habitats"))
      core::fail("model bundle ", request.bundle.string(), " uses habitats but holds no habitat model");
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
      core::fail("model ", run.value("model", model.fusion()), " (", model.fusion(),
                 ") was trained only on cases with ", subset[m], "; case '", c.case_id, "' has no ", subset[m],
                 ". Give it, or use a model trained on cases without it (e.g. a fusion network)");
    warnings.push_back("every training case had " + subset[m] +
                       "; this case has none: the model's missing-modality path is untested on real absences");
  }
  for (size_t m = 0; m < subset.size(); ++m)
    if (table.block(subset[m]).present[0] && subset[m] != "clinical" && model.preprocessors()[m].harmonised() &&
        !model.preprocessors()[m].harmonises(c.site))
      warnings.push_back("site '" + c.site + "' had no training case: ComBat leaves its " + subset[m] +
                         " features uncorrected");
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

  const auto atypical = atypicality_json(model, table, warnings);
  const auto explanation = explanation_json(model, table, predicted, request.out);
  // The cross-validated figures that apply to a case with only these modalities (run metadata
  // cross_validated_by_modalities), not the all-modality figure.
  std::vector<std::string> here;
  for (const auto& m : subset)
    if (present[m].get<bool>()) here.push_back(m);
  const auto present_key = core::join(here, "+");
  json for_present = nullptr;
  if (here.size() < subset.size()) {
    for_present = run.value("cross_validated_by_modalities", json::object()).value(present_key, json());
    if (for_present.is_null())
      warnings.push_back("the run measured no cross-validated performance for cases with only " + present_key +
                         ": the model's all-modality figures do not apply to this case");
  }
  auto evidence = dicom_evidence(c, warnings);
  std::vector<std::string> picture_warnings;
  const auto pictures = write_case_thumbnails(c, model.saliency(table, 0, predicted), request.out, picture_warnings);
  for (auto& w : picture_warnings) warnings.push_back(std::move(w));
  json images = json::array();
  for (const auto& p : pictures)
    images.push_back({{"modality", p.modality},
                      {"caption", p.caption},
                      {"saliency", p.method.empty() ? json() : json(p.method)},
                      {"file", p.file.string()}});
  json prediction = {{"case_id", c.case_id},
                     {"model", run.value("model", model.fusion())},
                     {"bundle", fs::absolute(request.bundle).lexically_normal().string()},
                     {"predicted_class", kClassNames[predicted]},
                     {"probabilities", probabilities_json(full.probabilities, 0)},
                     {"calibration", model.calibrator().method},
                     {"uncalibrated_probabilities", probabilities_json(full.uncalibrated, 0)},
                     {"prediction_set", prediction_set_json(model.conformal(), full.sets)},
                     {"modalities_present", present},
                     {"out_of_distribution", atypical},
                     {"explanation", explanation},
                     {"images", images},
                     {"contributions", contributions},
                     {"modality_weights", weights},
                     {"warnings", warnings},
                     {"provenance", provenance(request, cohort)},
                     {"model_card", run.value("model_card", json())},
                     {"model_evidence",
                      {{"training_cases", fusion::json_count_or(run, "training_cases", 0)},
                       {"validation", run.value("validation", "")},
                       {"cross_validated", run.value("cross_validated", json::object())},
                       {"present_modalities", present_key},
                       {"cross_validated_for_present", for_present}}}};
  core::write_file_atomic(request.out / "prediction.json", prediction.dump(1) + "\n");
  core::write_file_atomic(request.out / "report.html", case_report(prediction, pictures));
  write_structured_report(prediction, std::move(evidence), request.out / "prediction_sr.dcm");
  return prediction;
}

size_t cases_in(const fs::path& case_path) {
  if (fs::is_directory(case_path) || !fs::exists(case_path)) return 1;
  return datasets::read_cohort(case_path, std::nullopt, false).cohort.cases.size();
}

BatchSummary predict_cohort(const PredictRequest& request, bool skip_bad_cases, std::ostream& log) {
  const auto reading = datasets::read_cohort(request.case_path, std::nullopt, false);
  const auto& cases = reading.cohort.cases;
  // A problem of the manifest as a whole stops the batch; a case's own problems are that case's failure.
  std::map<std::string, std::vector<datasets::Problem>> case_problems;
  for (const auto& p : reading.problems) {
    if (p.case_id.empty()) core::fail("the manifest cannot be read:", problems_text(reading.problems));
    case_problems[p.case_id].push_back(p);
  }
  for (const auto& [id, problems] : case_problems)
    if (!skip_bad_cases)
      core::fail("case '", id, "' cannot be read:", problems_text(problems), " (--skip-bad-cases leaves it out)");
  fs::create_directories(request.out);
  std::vector<std::optional<json>> predictions(cases.size());
  std::vector<std::string> failures(cases.size());
  for (size_t i = 0; i < cases.size(); ++i)
    if (case_problems.count(cases[i].case_id)) failures[i] = problems_text(case_problems[cases[i].case_id]);
  std::mutex log_mutex;
  size_t done = 0;
  core::parallel_for(cases.size(), request.threads, [&](size_t i) {
    if (!failures[i].empty()) return;
    auto one = request;
    one.case_id = cases[i].case_id;
    one.out = request.out / cases[i].case_id;
    one.threads = 1;  // the cases run in parallel
    std::ostringstream case_log;
    try {
      predictions[i] = predict_case(one, case_log);
    } catch (const core::Error& e) {
      if (!skip_bad_cases) core::fail("case '", cases[i].case_id, "': ", e.what(), " (--skip-bad-cases leaves it out)");
      failures[i] = e.what();
    }
    std::lock_guard lock(log_mutex);
    log << "\rpredicted " << ++done << " of " << cases.size() << std::flush;
  });
  log << "\n";
  BatchSummary summary;
  std::string table = "case_id,predicted_class,p_zero,p_low,p_positive,prediction_set,far_from_training,warnings\n";
  std::string excluded = "case_id,reason\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!predictions[i]) {
      summary.skipped.emplace_back(cases[i].case_id, failures[i]);
      excluded += core::csv_line({cases[i].case_id, failures[i]});
      continue;
    }
    const auto& p = *predictions[i];
    std::vector<std::string> far, warnings;
    for (const auto& [modality, a] : p["out_of_distribution"].items())
      if (a["far"].get<bool>()) far.push_back(modality);
    for (const auto& w : p["warnings"]) warnings.push_back(w.get<std::string>());
    std::vector<std::string> set;
    if (p["prediction_set"].is_object())
      for (const auto& k : p["prediction_set"]["classes"]) set.push_back(k.get<std::string>());
    table += core::csv_line({cases[i].case_id, p["predicted_class"].get<std::string>(),
                             core::format_double(p["probabilities"]["zero"].get<double>()),
                             core::format_double(p["probabilities"]["low"].get<double>()),
                             core::format_double(p["probabilities"]["positive"].get<double>()), core::join(set, "|"),
                             core::join(far, "+"), core::join(warnings, " | ")});
    ++summary.predicted;
  }
  core::write_file_atomic(request.out / "predictions.csv", table);
  if (!summary.skipped.empty()) core::write_file_atomic(request.out / "excluded.csv", excluded);
  return summary;
}

}  // namespace vbiopsy::experiments
