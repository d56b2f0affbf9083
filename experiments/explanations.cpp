#include "experiments/explanations.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/csv.h"
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

}  // namespace

Explanation explain_case(const FittedModel& model, const FeatureTable& table, size_t row, int permutations, uint64_t seed) {
  Explanation out;
  out.permutations = permutations;
  auto working = table;
  std::vector<Slot> slots;
  for (size_t m = 0; m < model.subset().size(); ++m) {
    if (model.image_inputs()[m]) continue;
    const auto& modality = model.subset()[m];
    const auto b = static_cast<size_t>(std::find_if(table.blocks.begin(), table.blocks.end(), [&](const FeatureBlock& x) { return x.modality == modality; }) -
                                       table.blocks.begin());
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
    working.blocks[slots[f].block].values(static_cast<Eigen::Index>(row), slots[f].column) = to_case ? out.features[f].value : out.features[f].baseline;
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
  line({"", "(base: every feature at its training median)", "", ""}, explanation.base);
  line({"", "(output: the case)", "", ""}, explanation.output);
  for (const auto& f : features) line({f.modality, f.feature, core::format_double(f.value), core::format_double(f.baseline)}, f.shapley);
  return text;
}

}  // namespace vbiopsy::experiments
