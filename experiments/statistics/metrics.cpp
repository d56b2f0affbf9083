#include "experiments/statistics/metrics.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/metrics.h"

namespace vbiopsy::experiments {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
double ratio(double a, double b) { return b > 0 ? a / b : kNaN; }
}  // namespace

void check_predictions(const Predictions& predictions) {
  if (predictions.labels.size() != predictions.probabilities.size())
    core::fail("predictions: ", predictions.labels.size(), " labels but ", predictions.probabilities.size(),
               " probability rows");
  for (size_t i = 0; i < predictions.labels.size(); ++i) {
    if (predictions.labels[i] < 0 || predictions.labels[i] >= kClasses)
      core::fail("predictions: case ", i, " has label ", predictions.labels[i], ", expected 0, 1 or 2");
    double sum = 0;
    for (double p : predictions.probabilities[i]) {
      if (!(p >= 0 && p <= 1))
        core::fail("predictions: case ", i, " has probability ", p, ", expected a value in [0, 1]");
      sum += p;
    }
    if (std::abs(sum - 1) > 1e-4)
      core::fail("predictions: case ", i, " has probabilities summing to ", sum, ", expected 1");
  }
}

int predicted_class(const std::array<double, kClasses>& p) {
  int best = 0;
  for (int k = 1; k < kClasses; ++k)
    if (p[k] > p[best]) best = k;
  return best;
}

ConfusionMatrix confusion_matrix(const Predictions& predictions) {
  ConfusionMatrix matrix{};
  for (size_t i = 0; i < predictions.labels.size(); ++i)
    ++matrix[predictions.labels[i]][predicted_class(predictions.probabilities[i])];
  return matrix;
}

std::vector<Endpoint> endpoints(const Predictions& predictions) {
  std::vector<Endpoint> out;
  const size_t n = predictions.labels.size();
  for (int k = 0; k < kClasses; ++k) {
    Endpoint e{std::string(kClassNames[k]) + "_vs_rest", std::vector<double>(n), std::vector<bool>(n)};
    for (size_t i = 0; i < n; ++i) {
      e.scores[i] = predictions.probabilities[i][k];
      e.outcome[i] = predictions.labels[i] == k;
    }
    out.push_back(std::move(e));
  }
  Endpoint low{"zero_vs_atleastlow", std::vector<double>(n), std::vector<bool>(n)};
  for (size_t i = 0; i < n; ++i) {
    low.scores[i] = 1 - predictions.probabilities[i][0];
    low.outcome[i] = predictions.labels[i] > 0;
  }
  out.push_back(std::move(low));
  return out;
}

std::vector<ReliabilityBin> reliability_curve(const Predictions& predictions, int bins) {
  std::vector<ReliabilityBin> out(bins);
  for (int b = 0; b < bins; ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
  }
  for (size_t i = 0; i < predictions.labels.size(); ++i) {
    const int k = predicted_class(predictions.probabilities[i]);
    const double confidence = predictions.probabilities[i][k];
    const int b = std::min(bins - 1, static_cast<int>(confidence * bins));
    ++out[b].count;
    out[b].mean_confidence += confidence;
    out[b].accuracy += predictions.labels[i] == k ? 1.0 : 0.0;
  }
  for (auto& bin : out)
    if (bin.count > 0) {
      bin.mean_confidence /= static_cast<double>(bin.count);
      bin.accuracy /= static_cast<double>(bin.count);
    }
  return out;
}

double expected_calibration_error(const Predictions& predictions, int bins) {
  const double n = static_cast<double>(predictions.labels.size());
  if (n == 0) return kNaN;
  double ece = 0;
  for (const auto& bin : reliability_curve(predictions, bins))
    ece += static_cast<double>(bin.count) / n * std::abs(bin.accuracy - bin.mean_confidence);
  return ece;
}

std::map<std::string, double> compute_metrics(const Predictions& predictions) {
  check_predictions(predictions);
  std::map<std::string, double> m;
  const size_t n = predictions.labels.size();
  std::vector<double> pooled_scores;
  std::vector<bool> pooled_outcome;
  double auc_sum = 0;
  int auc_count = 0;
  for (int k = 0; k < kClasses; ++k) {
    std::vector<double> scores(n);
    std::vector<bool> outcome(n);
    for (size_t i = 0; i < n; ++i) {
      scores[i] = predictions.probabilities[i][k];
      outcome[i] = predictions.labels[i] == k;
    }
    const double auc = core::roc_auc(scores, outcome);
    m[std::string("auc_") + kClassNames[k]] = auc;
    if (!std::isnan(auc)) {
      auc_sum += auc;
      ++auc_count;
    }
    pooled_scores.insert(pooled_scores.end(), scores.begin(), scores.end());
    pooled_outcome.insert(pooled_outcome.end(), outcome.begin(), outcome.end());
  }
  m["macro_auc"] = auc_count ? auc_sum / auc_count : kNaN;
  m["micro_auc"] = core::roc_auc(pooled_scores, pooled_outcome);  // every (case, class) pair pooled

  const auto matrix = confusion_matrix(predictions);
  double correct = 0, recall_sum = 0;
  int recall_count = 0;
  for (int k = 0; k < kClasses; ++k) {
    double tp = matrix[k][k], fn = 0, fp = 0;
    for (int j = 0; j < kClasses; ++j)
      if (j != k) {
        fn += matrix[k][j];
        fp += matrix[j][k];
      }
    const double tn = static_cast<double>(n) - tp - fn - fp;
    correct += tp;
    const std::string name = kClassNames[k];
    m["sensitivity_" + name] = ratio(tp, tp + fn);
    m["specificity_" + name] = ratio(tn, tn + fp);
    m["ppv_" + name] = ratio(tp, tp + fp);
    m["npv_" + name] = ratio(tn, tn + fn);
    if (tp + fn > 0) {
      recall_sum += tp / (tp + fn);
      ++recall_count;
    }
  }
  m["accuracy"] = ratio(correct, static_cast<double>(n));
  m["balanced_accuracy"] = recall_count ? recall_sum / recall_count : kNaN;
  double brier = 0;
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < kClasses; ++k) {
      const double d = predictions.probabilities[i][k] - (predictions.labels[i] == k ? 1.0 : 0.0);
      brier += d * d;
    }
  m["brier"] = ratio(brier, static_cast<double>(n));
  m["ece"] = expected_calibration_error(predictions);
  return m;
}

}  // namespace vbiopsy::experiments
