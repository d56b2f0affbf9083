#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "fusion/learners/builtin.h"
#include "fusion/json_integers.h"

namespace vbiopsy::fusion {

namespace {

Eigen::MatrixXd softmax_rows(Eigen::MatrixXd scores) {
  for (Eigen::Index i = 0; i < scores.rows(); ++i) {
    scores.row(i).array() -= scores.row(i).maxCoeff();
    scores.row(i) = scores.row(i).array().exp();
    scores.row(i) /= scores.row(i).sum();
  }
  return scores;
}

std::vector<double> to_vector(const Eigen::MatrixXd& m) { return {m.data(), m.data() + m.size()}; }

Eigen::MatrixXd matrix_from(const nlohmann::json& values, Eigen::Index rows, Eigen::Index cols) {
  const auto flat = values.get<std::vector<double>>();
  if (static_cast<Eigen::Index>(flat.size()) != rows * cols)
    core::fail("classifier state: ", flat.size(), " values, expected ", rows * cols);
  return Eigen::Map<const Eigen::MatrixXd>(flat.data(), rows, cols);
}

}  // namespace

std::vector<core::OptionSpec> LogisticRegression::option_specs() {
  return {{"penalty", "l2", "none | l1 | l2 | elasticnet"},
          {"lambda", "0.01", "penalty strength (on standardised features; sklearn's C = 1 / (n lambda))"},
          {"l1_ratio", "0.5", "elastic-net mixing: 0 = L2, 1 = L1 (penalty = elasticnet only)"},
          {"class_weight", "balanced", "balanced | none"},
          {"max_iterations", "5000", "FISTA iterations"},
          {"tolerance", "1e-7", "relative change that ends the iterations"}};
}

LogisticRegression::LogisticRegression(const core::ResolvedOptions& options, uint64_t, int)
    : lambda_(options.real("lambda")),
      l1_ratio_(options.real("l1_ratio")),
      tolerance_(options.real("tolerance")),
      max_iterations_(options.integer("max_iterations")),
      balanced_(options.text("class_weight") == "balanced") {
  const std::string penalty = options.text("penalty");
  if (penalty == "none")
    lambda_ = 0;
  else if (penalty == "l1")
    l1_ratio_ = 1;
  else if (penalty == "l2")
    l1_ratio_ = 0;
  else if (penalty != "elasticnet")
    core::fail("classifier 'logistic': option 'penalty' = '", penalty, "', expected none, l1, l2 or elasticnet");
  if (lambda_ < 0 || l1_ratio_ < 0 || l1_ratio_ > 1)
    core::fail("classifier 'logistic': lambda must be >= 0 and l1_ratio in [0, 1]");
  if (options.text("class_weight") != "balanced" && options.text("class_weight") != "none")
    core::fail("classifier 'logistic': option 'class_weight' = '", options.text("class_weight"),
               "', expected balanced or none");
}

Eigen::MatrixXd LogisticRegression::standardise(const Eigen::MatrixXd& x) const {
  if (x.cols() != mean_.size())
    core::fail("classifier 'logistic': fitted on ", mean_.size(), " features, got ", x.cols());
  return (x.rowwise() - mean_).array().rowwise() / scale_.array();
}

Eigen::VectorXd LogisticRegression::case_weights(const std::vector<int>& y, int classes) const {
  Eigen::VectorXd v = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(y.size()));
  if (!balanced_) return v;
  std::vector<double> counts(classes, 0);
  for (int label : y) counts[label] += 1;
  for (size_t i = 0; i < y.size(); ++i)
    v[static_cast<Eigen::Index>(i)] = static_cast<double>(y.size()) / (classes * counts[y[i]]);
  return v;
}

Eigen::MatrixXd LogisticRegression::loss_gradient(const Eigen::MatrixXd& x, const std::vector<int>& y) const {
  const Eigen::MatrixXd z = standardise(x);
  const auto v = case_weights(y, static_cast<int>(b_.size()));
  Eigen::MatrixXd g = softmax_rows((z * w_).rowwise() + b_);
  for (size_t i = 0; i < y.size(); ++i) g(static_cast<Eigen::Index>(i), y[i]) -= 1;
  g.array().colwise() *= v.array();
  return z.transpose() * g / v.sum();
}

void LogisticRegression::fit(const Eigen::MatrixXd& x, const std::vector<int>& y) {
  const int classes = check_training_data(kName, x, y);
  const Eigen::Index n = x.rows(), p = x.cols();
  mean_ = x.colwise().mean();
  scale_ = ((x.rowwise() - mean_).array().square().colwise().sum() / static_cast<double>(n)).sqrt();
  for (Eigen::Index j = 0; j < p; ++j)
    if (scale_[j] < 1e-12) scale_[j] = 1;  // a constant feature stays 0 after centring
  const Eigen::MatrixXd z = standardise(x);
  const Eigen::VectorXd v = case_weights(y, classes);
  const double total = v.sum();
  Eigen::MatrixXd onehot = Eigen::MatrixXd::Zero(n, classes);
  for (Eigen::Index i = 0; i < n; ++i) onehot(i, y[i]) = 1;
  // Lipschitz constant of the smooth part: Boehning's bound 1/2 lambda_max([Z 1]^T V [Z 1] / sum v).
  Eigen::MatrixXd augmented(n, p + 1);
  augmented << z, Eigen::VectorXd::Ones(n);
  const Eigen::MatrixXd gram = augmented.transpose() * v.asDiagonal() * augmented / total;
  const double largest =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(gram, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
  const double l2 = lambda_ * (1 - l1_ratio_), l1 = lambda_ * l1_ratio_;
  const double step = 1.0 / (0.5 * largest + l2 + 1e-12);
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(p, classes), w_previous = w;
  Eigen::RowVectorXd b = Eigen::RowVectorXd::Zero(classes), b_previous = b;
  double t = 1;
  for (long long iteration = 0; iteration < max_iterations_; ++iteration) {
    const double t_next = 0.5 * (1 + std::sqrt(1 + 4 * t * t));
    const double momentum = (t - 1) / t_next;
    const Eigen::MatrixXd wy = w + momentum * (w - w_previous);
    const Eigen::RowVectorXd by = b + momentum * (b - b_previous);
    Eigen::MatrixXd g = softmax_rows((z * wy).rowwise() + by) - onehot;
    g.array().colwise() *= v.array();
    const Eigen::MatrixXd grad_w = z.transpose() * g / total + l2 * wy;
    const Eigen::RowVectorXd grad_b = g.colwise().sum() / total;
    Eigen::MatrixXd w_next = wy - step * grad_w;
    const double threshold = step * l1;  // proximal step of the L1 term: soft thresholding
    w_next = w_next.unaryExpr([threshold](double value) {
      return value > threshold ? value - threshold : value < -threshold ? value + threshold : 0.0;
    });
    const Eigen::RowVectorXd b_next = by - step * grad_b;
    // Gradient-based restart (O'Donoghue & Candes 2015) keeps FISTA monotone in practice.
    const double restart =
        ((wy - w_next).cwiseProduct(w_next - w)).sum() + ((by - b_next).cwiseProduct(b_next - b)).sum();
    const double change = std::max((w_next - w).cwiseAbs().maxCoeff(), (b_next - b).cwiseAbs().maxCoeff());
    const double size = std::max(w_next.cwiseAbs().maxCoeff(), b_next.cwiseAbs().maxCoeff());
    w_previous = w;
    b_previous = b;
    w = w_next;
    b = b_next;
    t = restart > 0 ? 1 : t_next;
    if (change <= tolerance_ * (1 + size)) break;
  }
  w_ = w;
  b_ = b;
}

Eigen::MatrixXd LogisticRegression::predict_proba(const Eigen::MatrixXd& x) const {
  if (b_.size() == 0) core::fail("classifier 'logistic' is not fitted");
  return softmax_rows((standardise(x) * w_).rowwise() + b_);
}

// Linear SHAP with the features taken as independent (Lundberg & Lee 2017): feature j adds
// w_jk (x_j - mean_j) / scale_j to class k's logit over the logit of the training mean, b_k.
std::optional<MarginShapley> LogisticRegression::exact_shapley(const Eigen::RowVectorXd& x) const {
  if (b_.size() == 0) core::fail("classifier 'logistic' is not fitted");
  const Eigen::RowVectorXd z = standardise(x);
  MarginShapley out{"exact linear SHAP of the logits, against the training mean", b_.transpose(), w_.transpose()};
  for (Eigen::Index j = 0; j < z.size(); ++j) out.values.col(j) *= z(j);
  return out;
}

nlohmann::json LogisticRegression::save() const {
  return {{"learner", kName},           {"features", mean_.size()},   {"classes", b_.size()},
          {"mean", to_vector(mean_)},   {"scale", to_vector(scale_)}, {"coefficients", to_vector(w_)},
          {"intercepts", to_vector(b_)}};
}

void LogisticRegression::load(const nlohmann::json& state, const StateShape& shape) {
  const auto p = json_integer(state.at("features"), "features"), k = json_integer(state.at("classes"), "classes");
  require_state_shape(p, k, shape);
  for (const char* field : {"mean", "scale", "coefficients", "intercepts"})
    require_finite(field, state.at(field).get<std::vector<double>>(), std::string(field) == "scale");
  mean_ = matrix_from(state.at("mean"), 1, p);
  scale_ = matrix_from(state.at("scale"), 1, p);
  w_ = matrix_from(state.at("coefficients"), p, k);
  b_ = matrix_from(state.at("intercepts"), 1, k);
}

}  // namespace vbiopsy::fusion
