#pragma once
// Feature handling inside a fold, fitted on the training cases only (the no-leakage rule): columns
// whose ICC with a second segmentation is too low (optional), columns without variance or with
// fewer than two values in training are dropped, missing values imputed
// with the training median (imaging blocks; the clinical encoder sees missing values itself),
// z-scored with training mean and standard deviation (clipped to +-10); then, optionally, a
// correlation filter (of two columns with |r| above the threshold, the one with the lower ANOVA F
// goes) and the selection of at most `max_features` columns: by one-way ANOVA F, by LASSO (the
// columns an L1 multinomial logistic regression keeps, by their largest |coefficient|), or by mRMR
// (maximum relevance minimum redundancy: F over the mean |r| with the columns already chosen).
#include <Eigen/Dense>
#include <nlohmann/json_fwd.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "experiments/feature_table.h"
#include "experiments/harmonisation.h"
#include "experiments/ood.h"

namespace vbiopsy::experiments {

struct Selection {
  int max_features = 32;         // 0 = keep every column
  std::string method = "anova";  // anova | lasso | mrmr
  double correlation = 0;        // |r| threshold of the correlation filter; 0 = off
  double lasso_lambda = 0.02;
  // Reproducibility filter: columns whose ICC(3,1) between the block's values and its retest
  // values (a second segmentation) over the training cases is below this go first; 0 = off.
  double icc = 0;
};

// How a new case's block compares with the training cases': columns beyond the training range,
// columns clipped at +-10 SD, and the Mahalanobis distance against its 99% threshold (ood.h; NaN
// when unavailable).
struct Atypicality {
  std::vector<std::string> beyond_range, clipped;
  double distance = NAN, threshold = NAN;
  bool far() const { return distance > threshold; }
};

class BlockPreprocessor {
 public:
  static constexpr double kClip = 10;  // z-scores are clipped here
  // train_rows: training cases (only those with the modality present are used). sites (one per
  // table row), when given, switches on ComBat harmonisation (harmonisation.h): missing values are
  // imputed with the training medians first, ComBat is fitted on the training rows, and everything
  // after it sees harmonised values.
  void fit(const FeatureBlock& block, const std::vector<size_t>& train_rows, const std::vector<int>& labels,
           const Selection& selection, bool impute, const std::vector<std::string>* sites = nullptr);
  // [rows, selected columns], float-ready; rows of absent cases are zeros. sites as for fit (needed
  // when it was harmonised).
  Eigen::MatrixXd apply(const FeatureBlock& block, const std::vector<size_t>& rows,
                        const std::vector<std::string>* sites = nullptr) const;
  // The case at `row` against the training cases (nothing for an absent case).
  Atypicality atypicality(const FeatureBlock& block, size_t row, const std::vector<std::string>* sites = nullptr) const;
  // Whether ComBat corrects this site (false when not harmonising, or no training case came from it).
  bool harmonises(const std::string& site) const { return combat_ && combat_->knows(site); }
  bool harmonised() const { return combat_.has_value(); }
  const std::vector<std::string>& selected_names() const { return names_; }
  // The training median of each selected column (raw units): what a missing value becomes.
  const std::vector<double>& training_medians() const { return median_; }
  // The fitted state (selected column names, medians, means, scales) for a bundle, and back. A
  // loaded preprocessor finds its columns in a block by name (see bind).
  nlohmann::json save() const;
  static BlockPreprocessor load(const nlohmann::json& state);
  // Points the selected columns at their positions in `block` (a table built elsewhere, e.g. for
  // one new case); throws naming the first selected column the block lacks.
  void bind(const FeatureBlock& block);
  // The training rows the last fit saw (tests check that no test case is among them).
  const std::vector<size_t>& fitted_rows() const { return fitted_rows_; }

 private:
  // The selected columns of one case z-scored, not clipped (NaN kept when not imputing).
  Eigen::RowVectorXd standardised(const FeatureBlock& block, size_t row, const std::vector<std::string>* sites) const;
  std::vector<size_t> selected_;
  std::vector<std::string> names_;
  std::vector<double> median_, mean_, scale_;
  std::vector<size_t> fitted_rows_;
  bool impute_ = true;
  std::optional<Combat> combat_;        // over the selected columns
  std::vector<double> raw_median_;      // imputation before ComBat (selected columns)
  std::vector<double> z_low_, z_high_;  // training range of each selected column, z-scored
  OutOfDistribution ood_;
};

// One-way ANOVA F statistic of values grouped by label (NaN values ignored); 0 when undefined.
double anova_f(const std::vector<double>& values, const std::vector<int>& labels);

// ICC(3,1) of Shrout & Fleiss (1979): two-way mixed effects, consistency, single rater, for
// ratings [targets, raters] (rows with a NaN are left out); (MSR - MSE) / (MSR + (k - 1) MSE).
// NaN with fewer than two complete targets or no variance at all.
double icc_consistency(const Eigen::MatrixXd& ratings);

}  // namespace vbiopsy::experiments
