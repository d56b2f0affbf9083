#include "experiments/grid.h"

#include <utility>

#include "core/csv.h"
#include "core/strings.h"
#include "experiments/fitted_model.h"
#include "encoders/nn/image_layouts.h"

namespace vbiopsy::experiments {

std::vector<std::string> choices_for(const ExperimentConfig& config, const std::string& method,
                                     const std::string& modality) {
  const auto choices = encoder_choices(config, modality);
  if (!is_classical_method(method)) return choices;
  std::vector<std::string> out;
  bool columns = false;
  for (const auto& e : choices)
    if (encoders::is_image_encoder(e) || !std::exchange(columns, true)) out.push_back(e);
  return out;
}

std::vector<std::vector<std::string>> combinations(const std::vector<std::vector<std::string>>& lists) {
  std::vector<std::vector<std::string>> out{{}};
  for (const auto& list : lists) {
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : out)
      for (const auto& item : list) {
        next.push_back(prefix);
        next.back().push_back(item);
      }
    out = std::move(next);
  }
  return out;
}

std::vector<Cell> grid_cells(const ExperimentConfig& config) {
  std::vector<Cell> cells;
  for (const auto& subset : config.subsets)
    for (const auto& f : config.fusions) {
      std::vector<std::vector<std::string>> lists;
      for (const auto& m : subset) lists.push_back(choices_for(config, f, m));
      for (const auto& encoders : combinations(lists)) {
        std::vector<std::string> tags;
        for (size_t i = 0; i < subset.size(); ++i) tags.push_back(lists[i].size() > 1 ? encoders[i] : "");
        cells.push_back({f, subset, encoders, model_name(f, subset, tags)});
      }
    }
  return cells;
}

std::string cell_text(const std::vector<Row>& rows) {
  std::string text = "case_index,repeat,fold,p_zero,p_low,p_positive,weights,u_zero,u_low,u_positive,set,atypical\n";
  for (const auto& r : rows) {
    std::vector<std::string> weights, atypical;
    for (double w : r.weights) weights.push_back(core::format_double(w));
    for (int a : r.atypical) atypical.push_back(std::to_string(a));
    text +=
        core::csv_line({std::to_string(r.case_index), std::to_string(r.repeat), std::to_string(r.fold),
                        core::format_double(r.p[0]), core::format_double(r.p[1]), core::format_double(r.p[2]),
                        core::join(weights, ";"), core::format_double(r.u[0]), core::format_double(r.u[1]),
                        core::format_double(r.u[2]), r.set ? std::to_string(*r.set) : "-", core::join(atypical, ";")});
  }
  return text;
}

std::vector<Row> parse_cell(const std::filesystem::path& path) {
  const auto table = core::read_csv(path);
  std::vector<Row> rows;
  for (const auto& f : table.rows) {
    Row r;
    r.case_index = static_cast<size_t>(*core::parse_int(f[0]));
    r.repeat = static_cast<int>(*core::parse_int(f[1]));
    r.fold = static_cast<int>(*core::parse_int(f[2]));
    for (int k = 0; k < kClasses; ++k) r.p[k] = *core::parse_double(f[3 + k]);
    if (f.size() > 6 && !f[6].empty())
      for (const auto& w : core::split(f[6], ';')) r.weights.push_back(*core::parse_double(w));
    r.u = r.p;
    if (f.size() > 10) {
      for (int k = 0; k < kClasses; ++k) r.u[k] = *core::parse_double(f[7 + k]);
      if (f[10] != "-") r.set = static_cast<ClassSet>(*core::parse_int(f[10]));
    }
    if (f.size() > 11 && !f[11].empty())
      for (const auto& a : core::split(f[11], ';')) r.atypical.push_back(static_cast<int>(*core::parse_int(a)));
    rows.push_back(r);
  }
  return rows;
}

Predictions pooled(const std::vector<Row>& rows, const std::vector<int>& labels) {
  std::vector<std::array<double, kClasses>> sum(labels.size(), {0, 0, 0});
  std::vector<int> count(labels.size(), 0);
  for (const auto& r : rows) {
    for (int k = 0; k < kClasses; ++k) sum[r.case_index][k] += r.p[k];
    ++count[r.case_index];
  }
  Predictions out;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (count[i] == 0) continue;
    for (auto& v : sum[i]) v /= count[i];
    out.labels.push_back(labels[i]);
    out.probabilities.push_back(sum[i]);
  }
  return out;
}

}  // namespace vbiopsy::experiments
