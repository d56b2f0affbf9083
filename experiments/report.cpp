#include "experiments/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "experiments/explanations.h"
#include "experiments/report_ablation.h"
#include "experiments/statistics/metrics.h"
#include "experiments/svg.h"
#include "fusion/json_integers.h"

namespace vbiopsy::experiments {

namespace {

using nlohmann::json;

std::string fmt(const json& value, const char* format = "%.3f") {
  if (!value.is_number()) return "–";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, format, value.get<double>());
  return buffer;
}

std::string with_ci(const json& metric) {
  return fmt(metric.at("estimate")) + " <span class=\"ci\">(" + fmt(metric.at("lower")) + "–" + fmt(metric.at("upper")) + ")</span>";
}

// Out-of-fold predictions per model, averaged over repeats: model -> (labels, probabilities).
std::map<std::string, Predictions> read_predictions(const std::filesystem::path& path) {
  const auto table = core::read_csv(path);
  auto column = [&](const char* name) {
    const auto c = table.column(name);
    if (!c) core::fail(path.string(), ": no column ", name);
    return *c;
  };
  const size_t id = column("case_id"), model = column("model"), truth = column("true_class");
  const size_t p[kClasses] = {column("p_zero"), column("p_low"), column("p_positive")};
  std::map<std::string, std::map<std::string, std::pair<int, std::array<double, kClasses>>>> sums;
  std::map<std::string, std::vector<std::string>> order;
  for (const auto& row : table.rows) {
    int label = -1;
    for (int k = 0; k < kClasses; ++k)
      if (row[truth] == kClassNames[k]) label = k;
    auto [it, inserted] = sums[row[model]].try_emplace(row[id], label, std::array<double, kClasses>{});
    if (inserted) order[row[model]].push_back(row[id]);
    for (int k = 0; k < kClasses; ++k) it->second.second[k] += core::parse_double(row[p[k]]).value_or(NAN);
  }
  std::map<std::string, Predictions> out;
  for (const auto& [name, cases] : sums) {
    std::map<std::string, int> repeats;
    for (const auto& row : table.rows)
      if (row[model] == name) ++repeats[row[id]];
    auto& pred = out[name];
    for (const auto& case_id : order[name]) {
      const auto& [label, total] = cases.at(case_id);
      std::array<double, kClasses> mean{};
      for (int k = 0; k < kClasses; ++k) mean[k] = total[k] / repeats[case_id];
      pred.labels.push_back(label);
      pred.probabilities.push_back(mean);
    }
  }
  return out;
}

std::vector<std::pair<double, double>> roc_points(const std::vector<double>& scores, const std::vector<bool>& outcome) {
  std::vector<size_t> order(scores.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  const double positives = static_cast<double>(std::count(outcome.begin(), outcome.end(), true));
  const double negatives = static_cast<double>(outcome.size()) - positives;
  std::vector<std::pair<double, double>> points{{0, 0}};
  double tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) (outcome[order[j++]] ? tp : fp) += 1;
    points.emplace_back(negatives > 0 ? fp / negatives : 0, positives > 0 ? tp / positives : 0);
    i = j;
  }
  return points;
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string html = "<table><tr>";
  for (const auto& h : header) html += "<th>" + html_escape(h) + "</th>";
  html += "</tr>";
  for (const auto& row : rows) {
    html += "<tr>";
    for (const auto& cell : row) html += "<td>" + cell + "</td>";  // cells are escaped or built by us
    html += "</tr>";
  }
  return html + "</table>";
}

}  // namespace

// Per exported model (models/<name>/importances.csv): its ten most important features and, per
// modality, its top three.
std::string importances_section(const std::filesystem::path& run_dir) {
  std::string html = "<h2>What the exported models look at (mean |Shapley value| over training cases)</h2>";
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(run_dir / "models"))
    for (const auto& entry : std::filesystem::directory_iterator(run_dir / "models"))
      if (std::filesystem::exists(entry.path() / "importances.csv")) files.push_back(entry.path() / "importances.csv");
  std::sort(files.begin(), files.end());
  if (files.empty()) return html + "<p>No model was exported (<code>[experiment] export</code>).</p>";
  html += "<div class=\"charts\">";
  std::vector<std::vector<std::string>> rows;
  for (const auto& file : files) {
    const auto importances = read_importances_csv(file);
    const auto model = file.parent_path().filename().string();
    std::vector<std::pair<std::string, double>> bars;
    std::map<std::string, std::vector<std::string>> top;
    for (const auto& f : importances.features) {
      if (bars.size() < 10) bars.emplace_back(f.modality + ": " + f.feature, f.mean_abs);
      if (top[f.modality].size() < 3) top[f.modality].push_back(f.feature + " (" + fmt(json(f.mean_abs)) + ")");
    }
    html += bar_chart(model, bars);
    for (const auto& [modality, features] : top) rows.push_back({html_escape(model), html_escape(modality), html_escape(core::join(features, ", "))});
    rows.push_back({html_escape(model), "", "<span class=\"ci\">" + html_escape(importances.method) + "</span>"});
  }
  return html + "</div>" + table({"model", "modality", "top features (mean |SHAP|)"}, rows);
}

namespace {

// The page with a numbered anchor on every section heading and a list of them before the first.
std::string with_contents(const std::string& page) {
  std::string out, contents = "<nav><b>Contents</b><ol>";
  size_t from = 0, section = 0, first = std::string::npos;
  for (size_t at = page.find("<h2>"); at != std::string::npos; at = page.find("<h2>", from)) {
    const size_t end = page.find("</h2>", at);
    if (end == std::string::npos) break;
    std::string title;  // the heading's text without tags
    bool in_tag = false;
    for (size_t i = at + 4; i < end; ++i) {
      if (page[i] == '<') in_tag = true;
      if (!in_tag) title += page[i];
      if (page[i] == '>') in_tag = false;
    }
    const std::string id = "s" + std::to_string(++section);
    contents += "<li><a href=\"#" + id + "\">" + title + "</a></li>";
    if (first == std::string::npos) first = out.size() + (at - from);
    out += page.substr(from, at - from) + "<h2 id=\"" + id + "\">";
    from = at + 4;
  }
  out += page.substr(from);
  return first == std::string::npos ? out : out.insert(first, contents + "</ol></nav>");
}

}  // namespace

void write_report(const std::filesystem::path& run_dir) {
  json run, metrics;
  try {
    run = json::parse(core::read_text_file(run_dir / "run.json"));
    metrics = json::parse(core::read_text_file(run_dir / "metrics.json"));
  } catch (const json::exception& e) {
    core::fail(run_dir.string(), ": run.json or metrics.json is malformed: ", e.what());
  }
  const auto predictions = read_predictions(run_dir / "predictions.csv");
  const std::string reference = metrics.value("_reference", "");
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [name, m] : metrics.items())
    if (name[0] != '_') ranked.emplace_back(m["metrics"]["macro_auc"]["estimate"].is_number() ? m["metrics"]["macro_auc"]["estimate"].get<double>() : 0.0, name);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<std::string> shown;  // models drawn in the charts: the best four and the reference
  for (const auto& [auc, name] : ranked)
    if (shown.size() < 4) shown.push_back(name);
  if (!reference.empty() && std::find(shown.begin(), shown.end(), reference) == shown.end()) shown.push_back(reference);

  std::string html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>vbiopsy run report</title><style>"
                     "body{font-family:sans-serif;margin:24px;max-width:1200px}table{border-collapse:collapse;margin:8px 0 20px}"
                     "td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left}th{background:#f2f2f2}"
                     ".ci{color:#666;font-size:11px}.charts{display:flex;flex-wrap:wrap;gap:12px}h2{margin-top:28px}</style></head><body>";
  html += "<h1>HER2 virtual biopsy: run report</h1><p>" + std::to_string(fusion::json_count_or(run, "cases", 0)) + " cases, seed " +
          run.value("seed", nlohmann::json(0)).dump() + ", " + std::to_string(fusion::json_count_or(run, "threads", 1)) + " thread(s); reference model <b>" +
          html_escape(reference) + "</b>; config SHA-256 <code>" + html_escape(run.value("config_sha256", "")) + "</code>" +
          (run.value("permute_labels", false) ? "; <b>labels permuted (negative control)</b>" : "") + ".</p>";
  if (run.value("synthetic", false))
    html += "<p style=\"background:#fff3cd;padding:6px 10px;border:1px solid #e0c36a\"><b>SYNTHETIC DATA.</b> These cases were generated "
            "by <code>vbiopsy synth</code>; the figures below test the software and say nothing about real patients.</p>";

  html += "<h2>Summary (95% bootstrap CIs)</h2>";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [auc, name] : ranked) {
    const auto& m = metrics[name]["metrics"];
    rows.push_back({html_escape(name), with_ci(m["macro_auc"]), with_ci(m["auc_zero"]), with_ci(m["auc_low"]), with_ci(m["auc_positive"]),
                    with_ci(m["accuracy"]), with_ci(m["balanced_accuracy"]), with_ci(m["brier"]), with_ci(m["ece"])});
  }
  html += table({"model", "macro-AUC", "AUC zero vs rest", "AUC low vs rest", "AUC positive vs rest", "accuracy", "balanced accuracy", "Brier", "ECE"}, rows);
  html += published_section(run.value("source", json::object()), metrics, ranked.empty() ? "" : ranked.front().second);
  html += ablation_section(metrics, reference);

  // Calibrated runs: the probabilities before and after calibration, and the prediction sets.
  std::vector<std::vector<std::string>> uncertainty;
  json settings;
  for (const auto& [auc, name] : ranked) {
    const auto& m = metrics[name];
    if (!m.contains("conformal")) continue;
    settings = {{"holdout", m["calibration"]["holdout"]}, {"alpha", m["conformal"]["alpha"]}};
    uncertainty.push_back({html_escape(name), html_escape(m["calibration"].value("method", "")), fmt(m["calibration"]["brier_uncalibrated"]),
                           with_ci(m["metrics"]["brier"]), fmt(m["calibration"]["ece_uncalibrated"]), with_ci(m["metrics"]["ece"]),
                           with_ci(m["conformal"]["coverage"]), with_ci(m["conformal"]["mean_set_size"])});
  }
  if (!uncertainty.empty()) {
    html += "<h2>Calibration and prediction sets</h2><p>Fitted on " + fmt(settings["holdout"]) +
            " of each training set, held out of the model's fitting; conformal sets per class at miscoverage " + fmt(settings["alpha"]) +
            " (coverage with Wilson 95% CIs).</p>";
    html += table({"model", "calibration", "Brier before", "Brier after", "ECE before", "ECE after", "set coverage", "mean set size"}, uncertainty);
  }

  html += "<h2>ROC curves</h2><div class=\"charts\">";
  for (int k = 0; k < kClasses; ++k) {
    std::vector<Series> series;
    for (const auto& name : shown) {
      if (!predictions.count(name)) continue;
      const auto e = endpoints(predictions.at(name))[k];
      series.push_back({name, roc_points(e.scores, e.outcome)});
    }
    html += line_chart({std::string(kClassNames[k]) + " vs rest", "1 - specificity", "sensitivity", 0, 1, 0, 1, true}, series);
  }
  html += "</div><h2>Calibration (confidence vs accuracy)</h2><div class=\"charts\">";
  {
    std::vector<Series> series;
    for (const auto& name : shown) {
      Series s{name, {}};
      for (const auto& bin : metrics[name]["reliability"])
        if (fusion::json_integer(bin["count"], "count", 0) > 0) s.points.emplace_back(bin["confidence"].get<double>(), bin["accuracy"].get<double>());
      series.push_back(s);
    }
    html += line_chart({"reliability", "mean confidence", "accuracy", 0, 1, 0, 1, true}, series);
  }
  html += "</div><h2>Decision curves</h2><div class=\"charts\">";
  for (const char* endpoint : {"positive_vs_rest", "zero_vs_atleastlow"}) {
    std::vector<Series> series;
    Series all{"treat all", {}};
    for (const auto& name : shown) {
      Series s{name, {}};
      for (const auto& p : metrics[name]["decision_curves"][endpoint]) {
        s.points.emplace_back(p["threshold"].get<double>(), p["model"].get<double>());
        if (all.points.size() < metrics[name]["decision_curves"][endpoint].size())
          all.points.emplace_back(p["threshold"].get<double>(), p["treat_all"].get<double>());
      }
      series.push_back(s);
    }
    series.push_back(all);
    Series none{"treat none", {}};
    for (const auto& [threshold, benefit] : all.points) none.points.emplace_back(threshold, 0.0);
    series.push_back(none);
    html += line_chart(decision_curve_axes(endpoint, series), series);
  }
  html += "</div><h2>Confusion matrices</h2><div class=\"charts\">";
  for (const auto& name : shown) {
    std::vector<std::vector<std::string>> cm;
    for (int t = 0; t < kClasses; ++t) {
      std::vector<std::string> row{std::string("true ") + kClassNames[t]};
      for (int p = 0; p < kClasses; ++p) row.push_back(std::to_string(fusion::json_integer(metrics[name]["confusion_matrix"][t][p], "confusion_matrix", 0)));
      cm.push_back(row);
    }
    html += "<div><b>" + html_escape(name) + "</b>" + table({"", "pred zero", "pred low", "pred positive"}, cm) + "</div>";
  }
  html += "</div>";
  const auto shapley = core::read_csv(run_dir / "shapley.csv");
  std::map<std::string, std::vector<std::pair<std::string, double>>> by_fusion;
  for (const auto& row : shapley.rows) by_fusion[row[0]].emplace_back(row[1], core::parse_double(row[2]).value_or(0));
  if (!by_fusion.empty()) {  // only when the grid holds every subset of the modalities
    html += "<h2>Modality Shapley values of macro-AUC</h2><div class=\"charts\">";
    for (const auto& [fusion, bars] : by_fusion) html += bar_chart(fusion, bars);
    html += "</div>";
  }
  // Only models that weigh their modalities per case (attention, gated, late with learned weights).
  std::string weights;
  for (const auto& name : shown) {
    if (!metrics[name].contains("mean_modality_weight")) continue;
    std::vector<std::pair<std::string, double>> bars;
    for (const auto& [modality, weight] : metrics[name]["mean_modality_weight"].items()) bars.emplace_back(modality, weight.get<double>());
    weights += bar_chart(name, bars);
  }
  if (!weights.empty())
    html += "<h2>Modality weights (mean over the cases that have the modality)</h2><div class=\"charts\">" + weights +
            "</div><p>Per-case weights: <code>attention.csv</code>.</p>";
  html += importances_section(run_dir);
  const auto comparisons = core::read_csv(run_dir / "comparisons.csv");
  const bool all_pairs = !comparisons.rows.empty() && comparisons.rows[0].back().rfind("all pairs", 0) == 0;
  html += all_pairs ? "<h2>Paired DeLong tests of every pair of models</h2>" : "<h2>Paired DeLong tests against the reference</h2>";
  html += std::string("<p>Holm's correction runs over the tests of one endpoint: ") +
          (all_pairs ? "every pair of models" : "each model against the reference <b>" + html_escape(reference) + "</b>") +
          " (<code>experiment.comparisons = " + (all_pairs ? "all_pairs" : "reference") + "</code>; the other family is " +
          (all_pairs ? "each model against the reference" : "every pair, <code>all_pairs</code>") + ").</p>";
  std::vector<std::vector<std::string>> comparison_rows;
  for (const auto& row : comparisons.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) {
      const auto v = core::parse_double(cell);
      cells.push_back(v ? fmt(json(*v), "%.4g") : html_escape(cell));
    }
    comparison_rows.push_back(cells);
  }
  html += table(comparisons.header, comparison_rows);
  html += "<h2>Excluded cases</h2>";
  std::vector<std::vector<std::string>> excluded;
  for (const auto& e : run["excluded"]) excluded.push_back({html_escape(e["case_id"].get<std::string>()), html_escape(e["reason"].get<std::string>())});
  html += excluded.empty() ? std::string("<p>None.</p>") : table({"case", "reason"}, excluded);

  html += "<h2>TRIPOD+AI / CLEAR items (prefilled from the run record)</h2>";
  html += table({"item", "this run"},
                {{"Outcome", "HER2 status in three classes (zero, low, positive) per ASCO/CAP 2018/2023 from IHC and ISH; IHC 2+ without ISH excluded"},
                 {"Source of data", "manifest <code>" + html_escape(run.value("manifest", "")) + "</code> (SHA-256 " + html_escape(run.value("manifest_sha256", "")) + ")"},
                 {"Participants", std::to_string(fusion::json_count_or(run, "cases", 0)) + " cases analysed, " + std::to_string(run["excluded"].size()) + " excluded (listed above)"},
                 {"Predictors", "radiomics features <code>" + html_escape(run.value("features", "")) + "</code> (SHA-256 " + html_escape(run.value("features_sha256", "")) + ") and clinical variables; modalities per model as named"},
                 {"Missing data", "absent modalities masked in fusion; missing feature values imputed with the training-fold median; missing clinical values handled by the clinical encoder (learned value + indicator)"},
                 {"Model development", "encoders, fusion, head and training as in the config below; feature handling fitted on training folds only"},
                 {"Validation", "stratified k-fold cross-validation by patient (see config), out-of-fold predictions"},
                 {"Performance measures", "one-vs-rest, macro and micro AUC, accuracy, balanced accuracy, per-class sensitivity/specificity/PPV/NPV, Brier, ECE, each with a stratified bootstrap 95% CI; DeLong with Holm; NRI/IDI; decision curves"},
                 {"Reproducibility", "seed " + run.value("seed", nlohmann::json(0)).dump() + ", " + std::to_string(fusion::json_count_or(run, "threads", 1)) + " thread(s), vbiopsy " + html_escape(run.value("vbiopsy_version", "")) + ", LibTorch " + html_escape(run.value("libtorch_version", "")) + "; rerun with <code>vbiopsy reproduce</code>"}});
  html += "<h2>Config</h2><pre>" + html_escape(run.value("config_text", "")) + "</pre></body></html>\n";
  core::write_file_atomic(run_dir / "report.html", with_contents(html));
}

}  // namespace vbiopsy::experiments
