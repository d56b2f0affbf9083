#include "experiments/report_inputs.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"

namespace vbiopsy::experiments {

namespace {

using nlohmann::json;

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

}  // namespace

ReportInputs read_report_inputs(const std::filesystem::path& run_dir) {
  ReportInputs in;
  in.run_dir = run_dir;
  try {
    in.run = json::parse(core::read_text_file(run_dir / "run.json"));
    in.metrics = json::parse(core::read_text_file(run_dir / "metrics.json"));
  } catch (const json::exception& e) {
    core::fail(run_dir.string(), ": run.json or metrics.json is malformed: ", e.what());
  }
  in.predictions = read_predictions(run_dir / "predictions.csv");
  in.reference = in.metrics.value("_reference", "");
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [name, m] : in.metrics.items()) {
    if (name[0] == '_') continue;
    const auto& auc = m["metrics"]["macro_auc"]["estimate"];
    ranked.emplace_back(auc.is_number() ? auc.get<double>() : 0.0, name);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  for (const auto& [auc, name] : ranked) {
    in.ranked.push_back(name);
    if (in.shown.size() < 4) in.shown.push_back(name);
  }
  if (!in.reference.empty() && std::find(in.shown.begin(), in.shown.end(), in.reference) == in.shown.end())
    in.shown.push_back(in.reference);
  return in;
}

}  // namespace vbiopsy::experiments
