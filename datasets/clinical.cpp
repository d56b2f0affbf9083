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
constexpr ColumnAlias kAliases[] = {{"er_percent", "er_percent"},
                                    {"er_pct", "er_percent"},
                                    {"pr_percent", "pr_percent"},
                                    {"pr_pct", "pr_percent"},
                                    {"er_status", "er_status"},
                                    {"er", "er_status"},
                                    {"pr_status", "pr_status"},
                                    {"pr", "pr_status"},
                                    {"ki67_percent", "ki67_percent"},
                                    {"ki67", "ki67_percent"},
                                    {"ki-67", "ki67_percent"},
                                    {"age", "age"},
                                    {"age_years", "age"},
                                    {"tumour_size_mm", "tumour_size_mm"},
                                    {"tumor_size_mm", "tumour_size_mm"},
                                    {"size_mm", "tumour_size_mm"},
                                    {"grade", "grade"},
                                    {"node_status", "node_status"},
                                    {"lymph_node_status", "node_status"},
                                    {"ln_status", "node_status"},
                                    {"nodal_status", "node_status"},
                                    {"n_status", "node_status"},
                                    {"multifocal", "multifocal"},
                                    {"multifocality", "multifocal"},
                                    {"menopausal_status", "menopausal_status"},
                                    {"menopause", "menopausal_status"},
                                    {"menopausal", "menopausal_status"},
                                    {"histology", "histology"},
                                    {"histological_type", "histology"},
                                    {"histologic_type", "histology"},
                                    {"histotype", "histology"},
                                    {"tumour_type", "histology"},
                                    {"tumor_type", "histology"}};

bool is_missing(const std::string& lower) {
  return lower.empty() || lower == "na" || lower == "n/a" || lower == "nan" || lower == "unknown" ||
         lower == "missing" || lower == ".";
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
    core::fail("column ", column, ": ", value, " is outside the expected range ", lo, "-", hi, " ", unit);
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

bool parse_node_status(const std::string& lower) {
  std::string s = lower;
  if (!s.empty() && (s[0] == 'p' || s[0] == 'c' || s[0] == 'y') && s.size() > 1 && s[1] == 'n')
    s = s.substr(1);  // pN1, cN0, yN0
  if (s.size() >= 2 && s[0] == 'n' && s[1] >= '0' && s[1] <= '3') return s[1] != '0';
  return parse_status(lower, "node_status");
}

bool parse_multifocal(const std::string& lower) {
  if (lower == "multifocal" || lower == "multicentric") return true;
  if (lower == "unifocal" || lower == "single") return false;
  for (const char* s : {"yes", "y", "true", "1"})
    if (lower == s) return true;
  for (const char* s : {"no", "n", "false", "0"})
    if (lower == s) return false;
  core::fail("column multifocal: '", lower, "' is not yes/no, true/false, 1/0 or multifocal/unifocal");
}

std::string parse_menopausal(const std::string& lower) {
  for (const char* s : {"pre", "peri", "post"})
    if (lower.rfind(s, 0) == 0) return s;  // pre, premenopausal, pre-menopausal, ...
  core::fail("column menopausal_status: '", lower, "' is not pre, peri or post (menopausal)");
}

std::string parse_histology(const std::string& lower) {
  const bool ductal = lower.find("ductal") != std::string::npos || lower == "idc" || lower == "nst" ||
                      lower.find("no special type") != std::string::npos;
  const bool lobular = lower.find("lobular") != std::string::npos || lower == "ilc";
  if (lower == "mixed" || (ductal && lobular)) return "mixed";
  if (ductal) return "ductal";
  if (lobular) return "lobular";
  return "other";  // mucinous, tubular, medullary, papillary, metaplastic, ...: too rare to learn apart
}

int parse_grade(const std::string& lower) {
  std::string s = lower;
  if (!s.empty() && s[0] == 'g') s = s.substr(1);
  if (s == "1" || s == "i") return 1;
  if (s == "2" || s == "ii") return 2;
  if (s == "3" || s == "iii") return 3;
  core::fail("column grade: '", lower, "' is not a histological grade; expected 1, 2, 3 (or G1, II)");
}

std::string number_text(const std::optional<double>& v) { return v ? core::format_double(*v) : std::string(); }

}  // namespace

const std::vector<std::string>& clinical_columns() {
  static const std::vector<std::string> kColumns = {"er_percent",   "pr_percent", "er_status",         "pr_status",
                                                    "ki67_percent", "age",        "tumour_size_mm",    "grade",
                                                    "node_status",  "multifocal", "menopausal_status", "histology"};
  return kColumns;
}

const std::vector<std::string>& clinical_categories(const std::string& column) {
  static const std::vector<std::string> kMenopausal = {"pre", "peri", "post"};
  static const std::vector<std::string> kHistology = {"ductal", "lobular", "mixed", "other"};
  static const std::vector<std::string> kNone;
  if (column == "menopausal_status") return kMenopausal;
  if (column == "histology") return kHistology;
  return kNone;
}

bool is_missing_cell(std::string_view cell) { return is_missing(core::to_lower(core::trim(cell))); }

bool is_label_column(std::string_view header) {
  const std::string lower = core::to_lower(core::trim(header));
  return lower == "ihc" || lower == "ish" || lower.find("her2") != std::string::npos ||
         lower.find("erbb2") != std::string::npos;
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
  if (column == "node_status") {
    values.node_positive = missing ? std::nullopt : std::optional<bool>(parse_node_status(lower));
    return;
  }
  if (column == "multifocal") {
    values.multifocal = missing ? std::nullopt : std::optional<bool>(parse_multifocal(lower));
    return;
  }
  if (column == "menopausal_status") {
    values.menopausal_status = missing ? std::nullopt : std::optional<std::string>(parse_menopausal(lower));
    return;
  }
  if (column == "histology") {
    values.histology = missing ? std::nullopt : std::optional<std::string>(parse_histology(lower));
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
  if (column == "node_status") return status(values.node_positive);
  if (column == "multifocal") return values.multifocal ? std::string(*values.multifocal ? "yes" : "no") : std::string();
  if (column == "menopausal_status") return values.menopausal_status.value_or("");
  if (column == "histology") return values.histology.value_or("");
  core::fail("'", column, "' is not a clinical column");
}

}  // namespace vbiopsy::datasets
