#include "experiments/preprocessing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "experiments/statistics/bootstrap.h"

namespace vbiopsy::experiments {

double anova_f(const std::vector<double>& values, const std::vector<int>& labels) {
  double sum[kClasses] = {0, 0, 0}, count[kClasses] = {0, 0, 0}, total = 0, n = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    sum[labels[i]] += values[i];
    count[labels[i]] += 1;
    total += values[i];
    n += 1;
  }
  int groups = 0;
  for (double c : count) groups += c > 0;
  if (groups < 2 || n <= groups) return 0;
  const double grand = total / n;
  double between = 0, within = 0;
  for (int k = 0; k < kClasses; ++k)
    if (count[k] > 0) between += count[k] * std::pow(sum[k] / count[k] - grand, 2);
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isnan(values[i])) within += std::pow(values[i] - sum[labels[i]] / count[labels[i]], 2);
  if (within <= 0) return between > 0 ? std::numeric_limits<double>::max() : 0;
  return (between / (groups - 1)) / (within / (n - groups));
}

void BlockPreprocessor::fit(const FeatureBlock& block, const std::vector<size_t>& train_rows, const std::vector<int>& labels,
                            int max_features, bool impute) {
  impute_ = impute;
  fitted_rows_.clear();
  for (size_t r : train_rows)
    if (block.present[r]) fitted_rows_.push_back(r);
  selected_.clear();
  names_.clear();
  median_.clear();
  mean_.clear();
  scale_.clear();
  struct Candidate {
    size_t column;
    double median, mean, scale, f;
  };
  std::vector<Candidate> candidates;
  std::vector<int> fitted_labels;
  for (size_t r : fitted_rows_) fitted_labels.push_back(labels[r]);
  for (Eigen::Index j = 0; j < block.values.cols(); ++j) {
    std::vector<double> column, observed;
    for (size_t r : fitted_rows_) {
      const double v = block.values(static_cast<Eigen::Index>(r), j);
      column.push_back(v);
      if (!std::isnan(v)) observed.push_back(v);
    }
    if (observed.size() < 2) continue;
    const double median = quantile(observed, 0.5);
    if (impute)
      for (auto& v : column)
        if (std::isnan(v)) v = median;
    const auto& basis = impute ? column : observed;
    const double mean = std::accumulate(basis.begin(), basis.end(), 0.0) / static_cast<double>(basis.size());
    double variance = 0;
    for (double v : basis) variance += (v - mean) * (v - mean);
    variance /= static_cast<double>(basis.size() - 1);
    if (!(variance > 1e-20)) continue;
    candidates.push_back({static_cast<size_t>(j), median, mean, std::sqrt(variance), anova_f(column, fitted_labels)});
  }
  if (max_features > 0 && static_cast<int>(candidates.size()) > max_features) {
    std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.f > b.f; });
    candidates.resize(max_features);
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.column < b.column; });
  }
  if (candidates.empty()) core::fail("modality '", block.modality, "': no feature varies among the ", fitted_rows_.size(), " training cases that have it");
  for (const auto& c : candidates) {
    selected_.push_back(c.column);
    names_.push_back(block.columns[c.column]);
    median_.push_back(c.median);
    mean_.push_back(c.mean);
    scale_.push_back(c.scale);
  }
}

Eigen::MatrixXd BlockPreprocessor::apply(const FeatureBlock& block, const std::vector<size_t>& rows) const {
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(selected_.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!block.present[rows[i]]) continue;
    for (size_t j = 0; j < selected_.size(); ++j) {
      double v = block.values(static_cast<Eigen::Index>(rows[i]), static_cast<Eigen::Index>(selected_[j]));
      if (std::isnan(v)) {
        if (!impute_) {
          out(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = v;
          continue;
        }
        v = median_[j];
      }
      out(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = std::clamp((v - mean_[j]) / scale_[j], -10.0, 10.0);
    }
  }
  return out;
}

}  // namespace vbiopsy::experiments
