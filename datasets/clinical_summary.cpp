#include "datasets/clinical_summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/clinical.h"

namespace vbiopsy::datasets {

namespace {

// The value of one variable as text for counting categories, or as a number.
struct Value {
  std::optional<double> number;
  std::optional<std::string> category;
};

Value value_of(const ClinicalValues& c, const std::string& variable) {
  auto number = [](const auto& v) { return Value{v ? std::optional<double>(double(*v)) : std::nullopt, std::nullopt}; };
  auto status = [](const std::optional<bool>& v, const char* yes, const char* no) {
    return Value{std::nullopt, v ? std::optional<std::string>(*v ? yes : no) : std::nullopt};
  };
  if (variable == "er_percent") return number(c.er_percent);
  if (variable == "pr_percent") return number(c.pr_percent);
  if (variable == "er_status") return status(c.er_positive, "positive", "negative");
  if (variable == "pr_status") return status(c.pr_positive, "positive", "negative");
  if (variable == "ki67_percent") return number(c.ki67_percent);
  if (variable == "age") return number(c.age_years);
  if (variable == "tumour_size_mm") return number(c.tumour_size_mm);
  if (variable == "grade")
    return Value{std::nullopt, c.grade ? std::optional<std::string>("G" + std::to_string(*c.grade)) : std::nullopt};
  if (variable == "node_status") return status(c.node_positive, "positive", "negative");
  if (variable == "multifocal") return status(c.multifocal, "yes", "no");
  if (variable == "menopausal_status") return Value{std::nullopt, c.menopausal_status};
  if (variable == "histology") return Value{std::nullopt, c.histology};
  const auto it = c.extra.find(variable);
  if (it == c.extra.end() || is_missing_cell(it->second)) return {};
  if (const auto v = core::parse_double(it->second)) return Value{v, std::nullopt};
  return Value{std::nullopt, core::to_lower(core::trim(it->second))};
}

VariableSummary summarise(const Cohort& cohort, const std::string& variable) {
  VariableSummary s{variable, 0, 0, ""};
  std::vector<double> numbers;
  std::map<std::string, size_t> categories;
  for (const auto& c : cohort.cases) {
    const auto v = value_of(c.clinical, variable);
    if (v.number)
      numbers.push_back(*v.number);
    else if (v.category)
      ++categories[*v.category];
    else
      ++s.missing;
  }
  s.given = numbers.size();
  for (const auto& [name, count] : categories) s.given += count;
  std::vector<std::string> parts;
  if (!numbers.empty()) {
    const auto [lo, hi] = std::minmax_element(numbers.begin(), numbers.end());
    parts.push_back(core::concat(core::format_double(*lo), " to ", core::format_double(*hi)));
  }
  size_t shown = 0;
  for (const auto& [name, count] : categories)
    if (++shown <= 8) parts.push_back(core::concat(name, " ", count));
  if (categories.size() > 8) parts.push_back(core::concat("... (", categories.size(), " categories)"));
  s.values = core::join(parts, ", ");
  return s;
}

}  // namespace

std::vector<VariableSummary> summarise_clinical(const Cohort& cohort) {
  std::vector<VariableSummary> out;
  for (const auto& variable : clinical_columns()) out.push_back(summarise(cohort, variable));
  std::set<std::string> others;
  for (const auto& c : cohort.cases)
    for (const auto& [column, value] : c.clinical.extra) others.insert(column);
  for (const auto& column : others) out.push_back(summarise(cohort, column));
  return out;
}

std::vector<std::string> clinical_unit_warnings(const Cohort& cohort) {
  std::vector<std::string> warnings;
  for (const char* column : {"er_percent", "pr_percent", "ki67_percent"}) {
    std::vector<double> values;
    for (const auto& c : cohort.cases)
      if (const auto v = value_of(c.clinical, column).number) values.push_back(*v);
    const bool fractions = std::any_of(values.begin(), values.end(), [](double v) { return v != std::floor(v); });
    if (values.size() >= 3 && fractions && *std::max_element(values.begin(), values.end()) <= 1.0)
      warnings.push_back(
          core::concat("clinical column ", column, ": all ", values.size(),
                       " values lie between 0 and 1, but it holds percentages (0-100); were fractions given? "
                       "Multiply them by 100"));
  }
  std::vector<double> sizes;
  for (const auto& c : cohort.cases)
    if (c.clinical.tumour_size_mm) sizes.push_back(*c.clinical.tumour_size_mm);
  if (sizes.size() >= 3 && *std::max_element(sizes.begin(), sizes.end()) < 6.0)
    warnings.push_back(
        core::concat("clinical column tumour_size_mm: all ", sizes.size(),
                     " values are below 6 mm; were centimetres given? Write them with 'cm' (e.g. 2.5cm) or in mm"));
  return warnings;
}

}  // namespace vbiopsy::datasets
