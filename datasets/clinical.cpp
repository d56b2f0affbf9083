#include "datasets/clinical.h"

#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::datasets {
namespace {

struct ColumnAlias {
  const char* alias;
  const char* canonical;
};
constexpr ColumnAlias kAliases[] = {
    {"er_percent", "er_percent"}, {"er_pct", "er_percent"}, {"pr_percent", "pr_percent"},
    {"pr_pct", "pr_percent"},     {"er_status", "er_status"}, {"er", "er_status"},
    {"pr_status", "pr_status"},   {"pr", "pr_status"},       {"ki67_percent", "ki67_percent"},
    {"ki67", "ki67_percent"},     {"ki-67", "ki67_percent"}, {"age", "age"},
    {"age_years", "age"},         {"tumour_size_mm", "tumour_size_mm"},
    {"tumor_size_mm", "tumour_size_mm"}, {"size_mm", "tumour_size_mm"}, {"grade", "grade"}};

bool is_missing(const std::string& lower) {
  return lower.empty() || lower == "na" || lower == "n/a" || lower == "nan" ||
         lower == "unknown" || lower == "missing" || lower == ".";
}

double parse_number_with_unit(const std::string& lower, const std::string& column,
                              std::initializer_list<std::pair<const char*, double>> units) {
  for (auto [unit, factor] : units) {
    const std::string u(unit);
    if (lower.size() > u.size() && lower.compare(lower.size() - u.size(), u.size(), u) == 0) {
      if (auto v = core::parse_double(lower.substr(0, lower.size() - u.size()))) return *v * factor;
    }
  }
  if (auto v = core::parse_double(lower)) return *v;
  core::fail("column ", column, ": '", lower, "' is not a number");
}

void check_range(double value, double lo, double hi, const std::string& column, const char* unit) {
  if (!std::isfinite(value) || value < lo || value > hi) {
    core::fail("column ", column, ": ", value, " is outside the expected range ", lo, "-", hi, " ",
               unit);
  }
}

bool parse_status(const std::string& lower, const std::string& column) {
  for (const char* s : {"positive", "pos", "+", "1", "yes", "true", "p"})
    if (lower == s) return true;
  for (const char* s : {"negative", "neg", "-", "0", "no", "false", "n"})
    if (lower == s) return false;
  core::fail("column ", column, ": '", lower,
             "' is not a receptor status; expected positive/pos/+/1 or negative/neg/-/0");
}

int parse_grade(const std::string& lower) {
  std::string s = lower;
  if (!s.empty() && s[0] == 'g') s = s.substr(1);
  if (s == "1" || s == "i") return 1;
  if (s == "2" || s == "ii") return 2;
  if (s == "3" || s == "iii") return 3;
  core::fail("column grade: '", lower, "' is not a histological grade; expected 1, 2, 3 (or G1, II)");
}

std::string number_text(const std::optional<double>& v) {
  return v ? core::format_double(*v) : std::string();
}

}  // namespace

const std::vector<std::string>& clinical_columns() {
  static const std::vector<std::string> kColumns = {
      "er_percent", "pr_percent", "er_status", "pr_status", "ki67_percent", "age",
      "tumour_size_mm", "grade"};
  return kColumns;
}

std::optional<std::string> canonical_clinical_column(std::string_view header) {
  const std::string lower = core::to_lower(core::trim(header));
  for (const auto& a : kAliases)
    if (lower == a.alias) return std::string(a.canonical);
  return std::nullopt;
}

void set_clinical_field(ClinicalValues& values, const std::string& column, std::string_view cell) {
  const std::string lower = core::to_lower(core::trim(cell));
  const bool missing = is_missing(lower);
  auto percent = [&](std::optional<double>& field) {
    if (missing) return field.reset();
    double v = parse_number_with_unit(lower, column, {{"%", 1.0}});
    check_range(v, 0, 100, column, "%");
    field = v;
  };
  if (column == "er_percent") return percent(values.er_percent);
  if (column == "pr_percent") return percent(values.pr_percent);
  if (column == "ki67_percent") return percent(values.ki67_percent);
  if (column == "er_status") {
    values.er_positive = missing ? std::nullopt : std::optional<bool>(parse_status(lower, column));
    return;
  }
  if (column == "pr_status") {
    values.pr_positive = missing ? std::nullopt : std::optional<bool>(parse_status(lower, column));
    return;
  }
  if (column == "age") {
    if (missing) return values.age_years.reset();
    double v = parse_number_with_unit(lower, column, {{"years", 1.0}, {"y", 1.0}});
    check_range(v, 0, 120, column, "years");
    values.age_years = v;
    return;
  }
  if (column == "tumour_size_mm") {
    if (missing) return values.tumour_size_mm.reset();
    double v = parse_number_with_unit(lower, column, {{"mm", 1.0}, {"cm", 10.0}});
    check_range(v, 0.1, 500, column, "mm");
    values.tumour_size_mm = v;
    return;
  }
  if (column == "grade") {
    values.grade = missing ? std::nullopt : std::optional<int>(parse_grade(lower));
    return;
  }
  core::fail("'", column, "' is not a clinical column");
}

void complete_receptor_status(ClinicalValues& values) {
  if (!values.er_positive && values.er_percent) values.er_positive = *values.er_percent >= 1.0;
  if (!values.pr_positive && values.pr_percent) values.pr_positive = *values.pr_percent >= 1.0;
}

std::string clinical_field_text(const ClinicalValues& values, const std::string& column) {
  auto status = [](const std::optional<bool>& s) {
    return s ? std::string(*s ? "positive" : "negative") : std::string();
  };
  if (column == "er_percent") return number_text(values.er_percent);
  if (column == "pr_percent") return number_text(values.pr_percent);
  if (column == "er_status") return status(values.er_positive);
  if (column == "pr_status") return status(values.pr_positive);
  if (column == "ki67_percent") return number_text(values.ki67_percent);
  if (column == "age") return number_text(values.age_years);
  if (column == "tumour_size_mm") return number_text(values.tumour_size_mm);
  if (column == "grade") return values.grade ? std::to_string(*values.grade) : std::string();
  core::fail("'", column, "' is not a clinical column");
}

}  // namespace vbiopsy::datasets
