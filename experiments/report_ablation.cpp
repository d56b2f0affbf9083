#include "experiments/report_ablation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "experiments/svg.h"

namespace vbiopsy::experiments {

namespace {

double number_or_nan(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : NAN; }

// White at 0.5 (chance) to a full blue at 1.
std::string shade(double auc) {
  const double t = std::isfinite(auc) ? std::clamp((auc - 0.5) / 0.5, 0.0, 1.0) : 0;
  char colour[32];
  std::snprintf(colour, sizeof colour, "rgb(%d,%d,%d)", int(255 - 200 * t), int(255 - 130 * t), 255);
  return colour;
}

std::string figure(double estimate, double lower, double upper) {
  if (!std::isfinite(estimate)) return "–";
  char text[96];
  std::snprintf(text, sizeof text, "%.3f <span class=\"ci\">(%.3f–%.3f)</span>", estimate, lower, upper);
  return text;
}

}  // namespace

std::string ablation_section(const nlohmann::json& metrics, const std::string& reference) {
  std::vector<ForestRow> rows;
  std::map<std::string, std::map<std::string, ForestRow>> grid;  // subset -> method -> figure
  std::vector<std::string> methods;
  for (const auto& [name, m] : metrics.items()) {
    if (name.empty() || name[0] == '_' || !m.contains("metrics")) continue;
    const auto& auc = m["metrics"]["macro_auc"];
    const ForestRow row{name, number_or_nan(auc["estimate"]), number_or_nan(auc["lower"]), number_or_nan(auc["upper"])};
    rows.push_back(row);
    const auto open = name.find('[');
    const std::string method = name.substr(0, open);
    const std::string subset = open == std::string::npos ? "" : name.substr(open + 1, name.size() - open - 2);
    grid[subset][method] = row;
    if (std::find(methods.begin(), methods.end(), method) == methods.end()) methods.push_back(method);
  }
  if (rows.size() < 2) return "";
  std::string html =
      "<h2>Ablation: macro-AUC by modality subset and method (95% CI)</h2><table><tr><th>modalities</th>";
  for (const auto& method : methods) html += "<th>" + html_escape(method) + "</th>";
  html += "</tr>";
  for (const auto& [subset, by_method] : grid) {
    html += "<tr><th>" + html_escape(subset) + "</th>";
    for (const auto& method : methods) {
      const auto it = by_method.find(method);
      if (it == by_method.end()) {
        html += "<td></td>";
        continue;
      }
      const auto& r = it->second;
      html += "<td style=\"background:" + shade(r.estimate) + "\">" + figure(r.estimate, r.lower, r.upper) + "</td>";
    }
    html += "</tr>";
  }
  html += "</table>";
  std::stable_sort(rows.begin(), rows.end(), [](const ForestRow& a, const ForestRow& b) {
    return std::isfinite(a.estimate) && (!std::isfinite(b.estimate) || a.estimate > b.estimate);
  });
  double low = 0.5, reference_auc = NAN;
  for (const auto& r : rows) {
    if (std::isfinite(r.lower)) low = std::min(low, std::floor(r.lower * 10) / 10);
    if (r.name == reference) reference_auc = r.estimate;
  }
  return html + "<div class=\"charts\">" +
         forest_plot("macro-AUC, dashed: the reference " + reference, rows, low, 1, reference_auc) + "</div>";
}

std::string published_section(const nlohmann::json& source, const nlohmann::json& metrics, const std::string& best) {
  if (!source.is_object() || source.empty()) return "";
  auto text = [&](const char* key) {
    return source.contains(key) && source[key].is_string() ? source[key].get<std::string>() : std::string();
  };
  const std::string model = text("model").empty() ? best : text("model");
  std::string html = "<h2>Published vs reproduced</h2><p>" + html_escape(text("authors")) +
                     (text("title").empty() ? "" : " " + html_escape(text("title")) + ".") + " <i>" +
                     html_escape(text("journal")) + "</i> " + html_escape(text("year")) + ".";
  if (!text("doi").empty())
    html += " doi:<a href=\"https://doi.org/" + html_escape(text("doi")) + "\">" + html_escape(text("doi")) + "</a>";
  html += "</p>";
  if (!metrics.contains(model))
    return html + "<p>The model <b>" + html_escape(model) + "</b> named by source.model is not in this run.</p>";
  std::string rows;
  for (const auto& [key, value] : source.items()) {
    if (key.rfind("published_", 0) != 0) continue;
    const std::string metric = key.substr(10);
    const auto& ours = metrics[model]["metrics"].value(metric, nlohmann::json());
    rows += "<tr><td>" + html_escape(metric) + "</td><td>" +
            html_escape(value.is_string() ? value.get<std::string>() : value.dump()) + "</td><td>" +
            (ours.is_object()
                 ? figure(number_or_nan(ours["estimate"]), number_or_nan(ours["lower"]), number_or_nan(ours["upper"]))
                 : "–") +
            "</td></tr>";
  }
  if (rows.empty()) return html + "<p>The recipe records no published figures.</p>";
  return html + "<table><tr><th>metric</th><th>published" +
         (text("cohort").empty() ? "" : " (" + html_escape(text("cohort")) + ")") +
         "</th><th>this run: " + html_escape(model) + " (95% CI)</th></tr>" + rows + "</table>";
}

}  // namespace vbiopsy::experiments
