#include "experiments/explanations.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/csv.h"
#include "core/error.h"
#include "core/random.h"
#include "core/strings.h"

namespace vbiopsy::experiments {

namespace {

std::array<double, kClasses> probabilities_of(const FittedModel& model, const FeatureTable& table, size_t row) {
  const auto out = model.predict(table, {row});
  return {out.probabilities(0, 0), out.probabilities(0, 1), out.probabilities(0, 2)};
}

// Where one selected column lives in the table.
struct Slot {
  size_t block;
  Eigen::Index column;
};

size_t block_of(const FeatureTable& table, const std::string& modality) {
  return static_cast<size_t>(std::find_if(table.blocks.begin(), table.blocks.end(),
                                          [&](const FeatureBlock& x) { return x.modality == modality; }) -
                             table.blocks.begin());
}

// The case's raw value of a column, NaN when the table lacks it or the case lacks the modality.
double raw_value(const FeatureTable& table, size_t row, size_t block, const std::string& column) {
  if (block == table.blocks.size() || !table.blocks[block].present[row]) return std::nan("");
  const auto& columns = table.blocks[block].columns;
  const auto at = std::find(columns.begin(), columns.end(), column);
  return at == columns.end() ? std::nan("")
                             : table.blocks[block].values(static_cast<Eigen::Index>(row), at - columns.begin());
}

// The learner's exact values, column by column in the order the learner reads them (each
// modality's selected columns, then its presence flag).
std::optional<Explanation> exact_explanation(const FittedModel& model, const FeatureTable& table, size_t row) {
  const auto shap = model.margin_shapley(table, row);
  if (!shap) return std::nullopt;
  Explanation out;
  out.method =
      shap->method +
      (model.calibrator().method == "none" ? "" : " (before the " + model.calibrator().method + " calibration)");
  out.scale = "margin (logit)";
  Eigen::Index j = 0;
  auto add = [&](const std::string& modality, const std::string& feature, double value) {
    FeatureAttribution f{modality, feature, value, std::nan(""), {}};
    for (int k = 0; k < kClasses; ++k) f.shapley[k] = shap->values(k, j);
    ++j;
    out.features.push_back(f);
  };
  for (size_t m = 0; m < model.subset().size(); ++m) {
    const auto& modality = model.subset()[m];
    const auto b = block_of(table, modality);
    for (const auto& name : model.preprocessors()[m].selected_names())
      add(modality, name, raw_value(table, row, b, name));
    add(modality, "(present)", b < table.blocks.size() && table.blocks[b].present[row] ? 1.0 : 0.0);
  }
  if (j != shap->values.cols())
    core::fail("explanation: the learner reads ", shap->values.cols(), " columns, the model names ", j);
  for (int k = 0; k < kClasses; ++k) {
    out.base[k] = shap->base(k);
    out.output[k] = shap->base(k) + shap->values.row(k).sum();
  }
  return out;
}

}  // namespace

Explanation explain_case(const FittedModel& model, const FeatureTable& table, size_t row, int permutations,
                         uint64_t seed) {
  if (auto exact = exact_explanation(model, table, row)) return *exact;
  return sample_explanation(model, table, row, permutations, seed);
}

Explanation sample_explanation(const FittedModel& model, const FeatureTable& table, size_t row, int permutations,
                               uint64_t seed) {
  Explanation out;
  out.method = "Shapley values against the training medians, " + std::to_string(permutations) +
               " sampled feature orders (seed " + std::to_string(seed) + ")";
  out.scale = "probability";
  out.permutations = permutations;
  auto working = table;
  std::vector<Slot> slots;
  for (size_t m = 0; m < model.subset().size(); ++m) {
    if (model.image_inputs()[m]) continue;
    const auto& modality = model.subset()[m];
    const auto b = block_of(table, modality);
    if (b == table.blocks.size() || !table.blocks[b].present[row]) continue;
    const auto& names = model.preprocessors()[m].selected_names();
    const auto& medians = model.preprocessors()[m].training_medians();
    for (size_t j = 0; j < names.size(); ++j) {
      const auto& columns = table.blocks[b].columns;
      const auto at = std::find(columns.begin(), columns.end(), names[j]);
      if (at == columns.end()) continue;
      const auto column = static_cast<Eigen::Index>(at - columns.begin());
      const double value = table.blocks[b].values(static_cast<Eigen::Index>(row), column);
      out.features.push_back({modality, names[j], value, medians[j], {}});
      slots.push_back({b, column});
    }
  }
  auto set = [&](size_t f, bool to_case) {
    working.blocks[slots[f].block].values(static_cast<Eigen::Index>(row), slots[f].column) =
        to_case ? out.features[f].value : out.features[f].baseline;
  };
  out.output = probabilities_of(model, table, row);
  for (size_t f = 0; f < slots.size(); ++f) set(f, false);
  out.base = probabilities_of(model, working, row);
  if (slots.empty()) return out;
  std::vector<size_t> order(slots.size());
  std::iota(order.begin(), order.end(), 0);
  core::Rng rng(seed);
  for (int p = 0; p < permutations; ++p) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    for (size_t f = 0; f < slots.size(); ++f) set(f, false);
    auto previous = out.base;
    for (size_t f : order) {
      set(f, true);
      const auto now = probabilities_of(model, working, row);
      for (int k = 0; k < kClasses; ++k) out.features[f].shapley[k] += (now[k] - previous[k]) / permutations;
      previous = now;
    }
  }
  return out;
}

GlobalImportances global_importances(const FittedModel& model, const FeatureTable& table,
                                     const std::vector<size_t>& rows, int permutations, uint64_t seed) {
  GlobalImportances out;
  std::map<std::pair<std::string, std::string>, double> sums;
  std::vector<std::pair<std::string, std::string>> order;  // first seen, for a stable tie order
  for (size_t row : rows) {
    const auto e = explain_case(model, table, row, permutations, seed);
    out.method = e.method;
    out.scale = e.scale;
    for (const auto& f : e.features) {
      const auto key = std::make_pair(f.modality, f.feature);
      if (!sums.count(key)) order.push_back(key);
      for (int k = 0; k < kClasses; ++k) sums[key] += std::abs(f.shapley[k]) / kClasses;
    }
  }
  out.cases = rows.size();
  for (const auto& key : order)
    out.features.push_back({key.first, key.second, rows.empty() ? 0.0 : sums[key] / static_cast<double>(rows.size())});
  std::stable_sort(out.features.begin(), out.features.end(),
                   [](const GlobalImportance& a, const GlobalImportance& b) { return a.mean_abs > b.mean_abs; });
  return out;
}

std::string importances_csv(const GlobalImportances& importances) {
  std::string text = core::csv_line({"modality", "feature", "mean_abs_shap"});
  text += core::csv_line({"",
                          "(" + importances.method + "; " + importances.scale + "; " +
                              std::to_string(importances.cases) + " training cases)",
                          ""});
  for (const auto& f : importances.features)
    text += core::csv_line({f.modality, f.feature, core::format_double(f.mean_abs)});
  return text;
}

GlobalImportances read_importances_csv(const std::filesystem::path& file) {
  const auto table = core::read_csv(file);
  GlobalImportances out;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    if (r == 0 && row[0].empty()) {
      out.method = row[1];
      continue;
    }
    const auto value = core::parse_double(row[2]);
    if (!value)
      core::fail(file.string(), " line ", table.line_of_row(r), ": mean_abs_shap '", row[2], "' is not a number");
    out.features.push_back({row[0], row[1], *value});
  }
  return out;
}

std::string explanation_csv(const Explanation& explanation, int predicted_class) {
  auto features = explanation.features;
  std::stable_sort(features.begin(), features.end(), [&](const FeatureAttribution& a, const FeatureAttribution& b) {
    return std::abs(a.shapley[predicted_class]) > std::abs(b.shapley[predicted_class]);
  });
  std::string text = "modality,feature,value,baseline,shap_zero,shap_low,shap_positive\n";
  auto numbers = [](const std::array<double, kClasses>& v) {
    return std::vector<std::string>{core::format_double(v[0]), core::format_double(v[1]), core::format_double(v[2])};
  };
  auto line = [&](std::vector<std::string> fields, const std::array<double, kClasses>& v) {
    for (auto& x : numbers(v)) fields.push_back(x);
    text += core::csv_line(fields);
  };
  line({"", "(base: " + explanation.method + "; " + explanation.scale + ")", "", ""}, explanation.base);
  line({"", "(output: the case)", "", ""}, explanation.output);
  auto number = [](double v) { return std::isnan(v) ? std::string() : core::format_double(v); };
  for (const auto& f : features) line({f.modality, f.feature, number(f.value), number(f.baseline)}, f.shapley);
  return text;
}

}  // namespace vbiopsy::experiments
