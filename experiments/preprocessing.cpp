#include "experiments/preprocessing.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/error.h"
#include "core/strings.h"
#include "experiments/statistics/bootstrap.h"
#include "fusion/learners/builtin.h"

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

double icc_consistency(const Eigen::MatrixXd& ratings) {
  std::vector<Eigen::Index> complete;
  for (Eigen::Index i = 0; i < ratings.rows(); ++i)
    if (ratings.row(i).allFinite()) complete.push_back(i);
  const auto n = static_cast<double>(complete.size()), k = static_cast<double>(ratings.cols());
  if (complete.size() < 2 || ratings.cols() < 2) return NAN;
  Eigen::MatrixXd x(static_cast<Eigen::Index>(complete.size()), ratings.cols());
  for (size_t i = 0; i < complete.size(); ++i) x.row(static_cast<Eigen::Index>(i)) = ratings.row(complete[i]);
  const double grand = x.mean();
  const double rows = k * (x.rowwise().mean().array() - grand).square().sum();
  const double columns = n * (x.colwise().mean().array() - grand).square().sum();
  const double total = (x.array() - grand).square().sum();
  const double msr = rows / (n - 1), mse = (total - rows - columns) / ((n - 1) * (k - 1));
  const double denominator = msr + (k - 1) * mse;
  return denominator > 0 ? (msr - mse) / denominator : NAN;
}

namespace {

struct Candidate {
  size_t column;
  double median, mean, scale, f;
  std::vector<double> z;  // standardised training values (NaN kept when not imputing)
};

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  double sab = 0, saa = 0, sbb = 0, ma = 0, mb = 0, n = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!std::isnan(a[i]) && !std::isnan(b[i])) {
      ma += a[i];
      mb += b[i];
      n += 1;
    }
  if (n < 3) return 0;
  ma /= n;
  mb /= n;
  for (size_t i = 0; i < a.size(); ++i)
    if (!std::isnan(a[i]) && !std::isnan(b[i])) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

// Candidates come sorted by F: a column is kept when it is not too correlated with any kept one.
std::vector<Candidate> correlation_filter(const std::vector<Candidate>& candidates, double threshold) {
  std::vector<Candidate> kept;
  for (const auto& c : candidates) {
    bool redundant = false;
    for (const auto& k : kept)
      if (std::abs(correlation(c.z, k.z)) > threshold) {
        redundant = true;
        break;
      }
    if (!redundant) kept.push_back(c);
  }
  return kept;
}

// mRMR (Ding & Peng 2005) in its F-test correlation quotient form: the column with the largest F
// first, then repeatedly the column maximising F / (mean |r| with the columns already chosen).
std::vector<Candidate> mrmr(const std::vector<Candidate>& candidates, size_t count) {
  std::vector<Candidate> chosen;
  std::vector<double> redundancy(candidates.size(), 0);  // sum of |r| with the chosen columns
  std::vector<bool> used(candidates.size(), false);
  while (chosen.size() < std::min(count, candidates.size())) {
    size_t best = candidates.size();
    double best_score = -1;
    for (size_t j = 0; j < candidates.size(); ++j) {
      if (used[j]) continue;
      const double mean_r = chosen.empty() ? 1.0 : std::max(redundancy[j] / static_cast<double>(chosen.size()), 1e-12);
      if (const double score = candidates[j].f / mean_r; score > best_score) {
        best_score = score;
        best = j;
      }
    }
    used[best] = true;
    chosen.push_back(candidates[best]);
    for (size_t j = 0; j < candidates.size(); ++j)
      if (!used[j]) redundancy[j] += std::abs(correlation(candidates[j].z, candidates[best].z));
  }
  return chosen;
}

// Largest |coefficient| over the classes of an L1 multinomial logistic regression on the columns
// (missing values as 0, the training mean); 0 for the columns it drops.
std::vector<double> lasso_scores(const std::vector<Candidate>& candidates, const std::vector<int>& labels,
                                 double lambda) {
  Eigen::MatrixXd x(static_cast<Eigen::Index>(labels.size()), static_cast<Eigen::Index>(candidates.size()));
  for (size_t j = 0; j < candidates.size(); ++j)
    for (size_t i = 0; i < labels.size(); ++i)
      x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          std::isnan(candidates[j].z[i]) ? 0.0 : candidates[j].z[i];
  auto lasso = fusion::make_classifier("logistic", {{"penalty", "l1"}, {"lambda", core::format_double(lambda)}});
  try {
    lasso->fit(x, labels);
  } catch (const core::Error&) {
    return std::vector<double>(candidates.size(), 1.0);  // a class absent from these cases: no LASSO, keep the F order
  }
  const auto& w = dynamic_cast<const fusion::LogisticRegression&>(*lasso).coefficients();
  std::vector<double> score(candidates.size());
  for (size_t j = 0; j < candidates.size(); ++j) score[j] = w.row(static_cast<Eigen::Index>(j)).cwiseAbs().maxCoeff();
  return score;
}

}  // namespace

void BlockPreprocessor::fit(const FeatureBlock& block, const std::vector<size_t>& train_rows,
                            const std::vector<int>& labels, const Selection& selection, bool impute,
                            const std::vector<std::string>* sites) {
  impute_ = impute;
  fitted_rows_.clear();
  for (size_t r : train_rows)
    if (block.present[r]) fitted_rows_.push_back(r);
  selected_.clear();
  names_.clear();
  median_.clear();
  mean_.clear();
  scale_.clear();
  raw_median_.clear();
  combat_.reset();
  // The training values, harmonised first when asked (missing values imputed for ComBat).
  Eigen::MatrixXd values(static_cast<Eigen::Index>(fitted_rows_.size()), block.values.cols());
  for (size_t i = 0; i < fitted_rows_.size(); ++i)
    values.row(static_cast<Eigen::Index>(i)) = block.values.row(static_cast<Eigen::Index>(fitted_rows_[i]));
  std::vector<double> raw_median(static_cast<size_t>(block.values.cols()), 0.0);
  std::optional<Combat> combat;
  if (sites) {
    std::vector<std::string> fitted_sites;
    for (size_t r : fitted_rows_) fitted_sites.push_back((*sites)[r]);
    for (Eigen::Index j = 0; j < values.cols(); ++j) {
      std::vector<double> observed;
      for (Eigen::Index i = 0; i < values.rows(); ++i)
        if (!std::isnan(values(i, j))) observed.push_back(values(i, j));
      raw_median[static_cast<size_t>(j)] = observed.empty() ? 0.0 : quantile(observed, 0.5);
      for (Eigen::Index i = 0; i < values.rows(); ++i)
        if (std::isnan(values(i, j))) values(i, j) = raw_median[static_cast<size_t>(j)];
    }
    combat.emplace();
    combat->fit(values, fitted_sites);
    values = combat->apply(values, fitted_sites);
  }
  std::vector<Candidate> candidates;
  std::vector<int> fitted_labels;
  for (size_t r : fitted_rows_) fitted_labels.push_back(labels[r]);
  if (selection.icc > 0 && block.retest.cols() != block.values.cols())
    core::fail("modality '", block.modality,
               "': experiment.icc needs retest features (a second segmentation: extract with [regions] retest = "
               "reader2, dilate or erode)");
  for (Eigen::Index j = 0; j < block.values.cols(); ++j) {
    if (selection.icc > 0) {
      // Agreement between the two segmentations over the training cases only.
      Eigen::MatrixXd pairs(static_cast<Eigen::Index>(fitted_rows_.size()), 2);
      for (size_t i = 0; i < fitted_rows_.size(); ++i)
        pairs.row(static_cast<Eigen::Index>(i)) << block.values(static_cast<Eigen::Index>(fitted_rows_[i]), j),
            block.retest(static_cast<Eigen::Index>(fitted_rows_[i]), j);
      if (!(icc_consistency(pairs) >= selection.icc)) continue;
    }
    std::vector<double> column, observed;
    for (size_t i = 0; i < fitted_rows_.size(); ++i) {
      const double v = values(static_cast<Eigen::Index>(i), j);
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
    Candidate c{static_cast<size_t>(j), median, mean, std::sqrt(variance), anova_f(column, fitted_labels), {}};
    for (double v : column) c.z.push_back((v - mean) / c.scale);
    candidates.push_back(std::move(c));
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.f > b.f; });
  if (selection.correlation > 0) candidates = correlation_filter(candidates, selection.correlation);
  const int max_features = selection.max_features;
  if (selection.method == "lasso" && candidates.size() > 1) {
    std::vector<double> score = lasso_scores(candidates, fitted_labels, selection.lasso_lambda);
    std::vector<size_t> order(candidates.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
    std::vector<Candidate> kept;
    for (size_t i : order)
      if (score[i] > 0 && (max_features <= 0 || static_cast<int>(kept.size()) < max_features))
        kept.push_back(candidates[i]);
    if (kept.empty()) kept.push_back(candidates.front());  // the penalty removed all: keep the best by F
    candidates = std::move(kept);
  } else if (selection.method == "mrmr") {
    candidates = mrmr(candidates, max_features > 0 ? static_cast<size_t>(max_features) : candidates.size());
  } else if (selection.method != "anova") {
    core::fail("feature selection '", selection.method, "': expected anova, lasso or mrmr");
  }
  if (max_features > 0 && static_cast<int>(candidates.size()) > max_features) {
    candidates.resize(max_features);
    std::sort(candidates.begin(), candidates.end(),
              [](const Candidate& a, const Candidate& b) { return a.column < b.column; });
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.column < b.column; });
  if (candidates.empty())
    core::fail("modality '", block.modality, "': no feature varies among the ", fitted_rows_.size(),
               " training cases that have it");
  for (const auto& c : candidates) {
    selected_.push_back(c.column);
    names_.push_back(block.columns[c.column]);
    median_.push_back(c.median);
    mean_.push_back(c.mean);
    scale_.push_back(c.scale);
    raw_median_.push_back(raw_median[c.column]);
  }
  if (combat) combat_ = combat->subset(selected_);
  // What the training cases look like after this preprocessing: their range per column and the
  // distance model, for the out-of-distribution warnings of new cases.
  if (impute) {
    const auto z = apply(block, fitted_rows_, sites);
    const Eigen::RowVectorXd low = z.colwise().minCoeff(), high = z.colwise().maxCoeff();
    z_low_.assign(low.data(), low.data() + low.size());
    z_high_.assign(high.data(), high.data() + high.size());
    ood_ = OutOfDistribution::fit(z);
  }
}

nlohmann::json BlockPreprocessor::save() const {
  nlohmann::json state = {{"columns", names_},
                          {"median", median_},
                          {"mean", mean_},
                          {"scale", scale_},
                          {"impute", impute_},
                          {"training_low", z_low_},
                          {"training_high", z_high_},
                          {"out_of_distribution", ood_.save()}};
  if (combat_) state["combat"] = {{"raw_median", raw_median_}, {"state", combat_->save()}};
  return state;
}

BlockPreprocessor BlockPreprocessor::load(const nlohmann::json& state) {
  BlockPreprocessor p;
  try {
    p.names_ = state.at("columns").get<std::vector<std::string>>();
    p.median_ = state.at("median").get<std::vector<double>>();
    p.mean_ = state.at("mean").get<std::vector<double>>();
    p.scale_ = state.at("scale").get<std::vector<double>>();
    p.impute_ = state.at("impute").get<bool>();
    p.z_low_ = state.at("training_low").get<std::vector<double>>();
    p.z_high_ = state.at("training_high").get<std::vector<double>>();
    if (state.contains("combat")) {
      p.raw_median_ = state["combat"].at("raw_median").get<std::vector<double>>();
      p.combat_ = Combat::load(state["combat"].at("state"));
    }
  } catch (const nlohmann::json::exception& e) {
    core::fail("preprocessing state: ", e.what());
  }
  const size_t n = p.names_.size();
  if (n == 0 || p.median_.size() != n || p.mean_.size() != n || p.scale_.size() != n)
    core::fail("preprocessing state: ", n, " columns but ", p.median_.size(), " medians, ", p.mean_.size(), " means, ",
               p.scale_.size(), " scales");
  for (double s : p.scale_)
    if (!(s > 0)) core::fail("preprocessing state: scale ", s, ", expected > 0");
  if ((!p.z_low_.empty() || !p.z_high_.empty()) && (p.z_low_.size() != n || p.z_high_.size() != n))
    core::fail("preprocessing state: ", p.z_low_.size(), " training minima and ", p.z_high_.size(), " maxima for ", n,
               " columns");
  for (size_t k = 0; k < p.z_low_.size(); ++k)
    if (!(p.z_low_[k] <= p.z_high_[k]))
      core::fail("preprocessing state: training range ", p.z_low_[k], "..", p.z_high_[k], " of column ", k);
  p.ood_ = OutOfDistribution::load(state.at("out_of_distribution"), static_cast<Eigen::Index>(n));
  if (p.combat_ && (p.raw_median_.size() != n || static_cast<size_t>(p.combat_->features()) != n))
    core::fail("preprocessing state: ComBat for ", p.combat_->features(), " columns with ", p.raw_median_.size(),
               " medians, expected ", n);
  return p;
}

void BlockPreprocessor::bind(const FeatureBlock& block) {
  selected_.clear();
  const bool used = std::find(block.present.begin(), block.present.end(), true) != block.present.end();
  for (const auto& name : names_) {
    const auto it = std::find(block.columns.begin(), block.columns.end(), name);
    if (it == block.columns.end() && !used) {  // absent everywhere: apply reads no value
      selected_.push_back(0);
      continue;
    }
    if (it == block.columns.end())
      core::fail("modality '", block.modality, "': the model uses feature column '", name,
                 "', which the case's features lack (", block.columns.size(),
                 " columns; were they extracted with other settings?)");
    selected_.push_back(static_cast<size_t>(it - block.columns.begin()));
  }
}

Eigen::RowVectorXd BlockPreprocessor::standardised(const FeatureBlock& block, size_t row,
                                                   const std::vector<std::string>* sites) const {
  const auto columns = static_cast<Eigen::Index>(selected_.size());
  Eigen::RowVectorXd v(columns);
  for (Eigen::Index j = 0; j < columns; ++j)
    v(j) = block.values(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(selected_[j]));
  if (combat_) {
    for (Eigen::Index j = 0; j < columns; ++j)
      if (std::isnan(v(j))) v(j) = raw_median_[static_cast<size_t>(j)];
    v = combat_->apply(v, {(*sites)[row]});
  }
  for (Eigen::Index j = 0; j < columns; ++j) {
    const auto k = static_cast<size_t>(j);
    if (std::isnan(v(j)) && !impute_) continue;
    v(j) = ((std::isnan(v(j)) ? median_[k] : v(j)) - mean_[k]) / scale_[k];
  }
  return v;
}

Eigen::MatrixXd BlockPreprocessor::apply(const FeatureBlock& block, const std::vector<size_t>& rows,
                                         const std::vector<std::string>* sites) const {
  if (selected_.size() != names_.size())
    core::fail("modality '", block.modality, "': a loaded preprocessing state must be bound to a table first");
  if (combat_ && !sites) core::fail("modality '", block.modality, "': harmonised with ComBat, its sites are needed");
  Eigen::MatrixXd out =
      Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(selected_.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!block.present[rows[i]]) continue;
    // Clipped at +-kClip standard deviations (NaN stays NaN: the clinical encoder reads it).
    out.row(static_cast<Eigen::Index>(i)) =
        standardised(block, rows[i], sites).unaryExpr([](double z) { return std::clamp(z, -kClip, kClip); });
  }
  return out;
}

Atypicality BlockPreprocessor::atypicality(const FeatureBlock& block, size_t row,
                                           const std::vector<std::string>* sites) const {
  Atypicality out;
  if (!block.present[row] || selected_.size() != names_.size() || (combat_ && !sites)) return out;
  const auto z = standardised(block, row, sites);
  for (Eigen::Index j = 0; j < z.size(); ++j) {
    const auto k = static_cast<size_t>(j);
    if (std::isnan(z(j))) continue;
    if (std::abs(z(j)) > kClip) out.clipped.push_back(names_[k]);
    if (k < z_low_.size() && (z(j) < z_low_[k] || z(j) > z_high_[k])) out.beyond_range.push_back(names_[k]);
  }
  if (ood_.fitted() && z.allFinite()) {
    out.distance = ood_.distance(z.unaryExpr([](double v) { return std::clamp(v, -kClip, kClip); }));
    out.threshold = ood_.threshold();
  }
  return out;
}

}  // namespace vbiopsy::experiments
