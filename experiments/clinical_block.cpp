#include "experiments/clinical_block.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "core/warnings.h"
#include "datasets/clinical.h"

namespace vbiopsy::experiments {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A canonical variable's value as a number (statuses 0/1), or its category text.
std::optional<double> canonical_number(const datasets::ClinicalValues& c, const std::string& variable) {
  auto number = [](const auto& v) { return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt; };
  if (variable == "er_percent") return c.er_percent;
  if (variable == "pr_percent") return c.pr_percent;
  if (variable == "er_status") return number(c.er_positive);
  if (variable == "pr_status") return number(c.pr_positive);
  if (variable == "ki67_percent") return c.ki67_percent;
  if (variable == "age") return c.age_years;
  if (variable == "tumour_size_mm") return c.tumour_size_mm;
  if (variable == "grade") return number(c.grade);
  if (variable == "node_status") return number(c.node_positive);
  if (variable == "multifocal") return number(c.multifocal);
  core::fail("'", variable, "' is not a numeric clinical variable");
}

std::optional<std::string> category_of(const datasets::ClinicalValues& c, const std::string& variable) {
  if (variable == "menopausal_status") return c.menopausal_status;
  if (variable == "histology") return c.histology;
  const auto it = c.extra.find(variable);
  if (it == c.extra.end() || datasets::is_missing_cell(it->second)) return std::nullopt;
  return core::to_lower(core::trim(it->second));
}

void add_canonical(ClinicalSpec& spec, const std::string& variable) {
  const auto& categories = datasets::clinical_categories(variable);
  if (categories.empty()) spec.columns.push_back({variable, variable, ""});
  for (const auto& category : categories) spec.columns.push_back({variable + "=" + category, variable, category});
}

// Another column of the clinical table: numeric when every value given parses as a number.
void add_extra(ClinicalSpec& spec, const datasets::Cohort& cohort, const std::string& column) {
  std::set<std::string> categories;
  bool numeric = true;
  for (const auto& c : cohort.cases)
    if (const auto value = category_of(c.clinical, column)) {
      categories.insert(*value);
      numeric = numeric && core::parse_double(*value).has_value();
    }
  if (numeric) {
    spec.columns.push_back({column, column, ""});
    return;
  }
  for (const auto& category : categories) spec.columns.push_back({column + "=" + category, column, category});
}

}  // namespace

ClinicalSpec clinical_spec(const datasets::Cohort& cohort, const std::vector<std::string>* requested) {
  ClinicalSpec spec;
  if (!requested) {
    for (const auto& variable : datasets::clinical_columns()) add_canonical(spec, variable);
    return spec;
  }
  std::set<std::string> extra_columns;
  for (const auto& c : cohort.cases)
    for (const auto& [column, value] : c.clinical.extra) extra_columns.insert(column);
  std::set<std::string> added;
  for (const auto& given : *requested) {
    const std::string name = core::to_lower(core::trim(given));
    if (datasets::is_label_column(name))
      core::fail("[columns] clinical names '", given,
                 "', which carries the HER2 label itself; it cannot be a model input");
    bool matched = false;
    for (const auto& variable : datasets::clinical_columns())
      if (variable.rfind(name, 0) == 0) {
        matched = true;
        if (added.insert(variable).second) add_canonical(spec, variable);
      }
    if (!matched && extra_columns.count(name)) {
      matched = true;
      if (added.insert(name).second) add_extra(spec, cohort, name);
    }
    if (!matched) {
      std::vector<std::string> others;
      for (const auto& column : extra_columns)
        if (!datasets::is_label_column(column)) others.push_back(column);
      core::fail("[columns] clinical names '", given,
                 "', which matches no clinical variable; known: ", core::join(datasets::clinical_columns(), ", "),
                 others.empty() ? std::string(" (the clinical table has no other column)")
                                : "; other columns of the clinical table: " + core::join(others, ", "));
    }
  }
  return spec;
}

double clinical_value(const datasets::ClinicalValues& values, const ClinicalColumn& column) {
  const bool canonical = std::find(datasets::clinical_columns().begin(), datasets::clinical_columns().end(),
                                   column.variable) != datasets::clinical_columns().end();
  if (column.category.empty()) {
    if (canonical) {
      const auto v = canonical_number(values, column.variable);
      return v ? *v : kNaN;
    }
    const auto text = category_of(values, column.variable);
    if (!text) return kNaN;
    const auto v = core::parse_double(*text);
    if (!v)
      core::fail("clinical column ", column.variable, ": '", *text, "' is not a number, and the model reads it as one");
    return *v;
  }
  const auto value = category_of(values, column.variable);
  if (!value) return kNaN;
  return *value == column.category ? 1.0 : 0.0;
}

nlohmann::json to_json(const ClinicalSpec& spec) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : spec.columns)
    out.push_back({{"name", c.name}, {"variable", c.variable}, {"category", c.category}});
  return out;
}

ClinicalSpec clinical_spec_from_json(const nlohmann::json& json) {
  ClinicalSpec spec;
  for (const auto& c : json)
    spec.columns.push_back(
        {c.at("name").get<std::string>(), c.at("variable").get<std::string>(), c.at("category").get<std::string>()});
  return spec;
}

}  // namespace vbiopsy::experiments
