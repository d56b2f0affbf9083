#include <array>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "datasets/splits.h"
#include "fusion/learners/builtin.h"

namespace vbiopsy::fusion {

std::vector<core::OptionSpec> SupportVectorMachine::option_specs() {
  return {{"kernel", "rbf", "rbf | linear"},
          {"c", "1", "soft-margin penalty C"},
          {"gamma", "0", "RBF gamma; 0 = 1 / features (on standardised features, sklearn's 'scale')"}};
}

SupportVectorMachine::SupportVectorMachine(const core::ResolvedOptions& options, uint64_t seed, int)
    : c_(options.real("c")), gamma_option_(options.real("gamma")), kernel_(options.text("kernel")), seed_(seed) {
  if (kernel_ != "rbf" && kernel_ != "linear")
    core::fail("classifier 'svm': option 'kernel' = '", kernel_, "', expected rbf or linear");
  if (c_ <= 0 || gamma_option_ < 0) core::fail("classifier 'svm': c must be > 0 and gamma >= 0");
}

cv::Ptr<cv::ml::SVM> SupportVectorMachine::train_one(const cv::Mat& x, const std::vector<int>& positive) const {
  auto svm = cv::ml::SVM::create();
  svm->setType(cv::ml::SVM::C_SVC);
  svm->setKernel(kernel_ == "rbf" ? cv::ml::SVM::RBF : cv::ml::SVM::LINEAR);
  svm->setC(c_);
  svm->setGamma(gamma_);
  svm->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER + cv::TermCriteria::EPS, 100000, 1e-6));
  svm->train(x, cv::ml::ROW_SAMPLE, cv::Mat(positive, true));
  return svm;
}

namespace {
double decision_value(const cv::Ptr<cv::ml::SVM>& svm, const cv::Mat& row) {
  return svm->predict(row, cv::noArray(), cv::ml::StatModel::RAW_OUTPUT);
}
}  // namespace

void SupportVectorMachine::fit(const Eigen::MatrixXd& x, const std::vector<int>& y) {
  const int classes = check_training_data(kName, x, y);
  mean_ = x.colwise().mean();
  scale_ = ((x.rowwise() - mean_).array().square().colwise().sum() / static_cast<double>(x.rows())).sqrt();
  for (Eigen::Index j = 0; j < scale_.size(); ++j)
    if (scale_[j] < 1e-12) scale_[j] = 1;
  gamma_ = gamma_option_ > 0 ? gamma_option_ : 1.0 / static_cast<double>(x.cols());
  const cv::Mat data = to_cv_matrix((x.rowwise() - mean_).array().rowwise() / scale_.array());
  // Out-of-fold decision values (stratified 3-fold) for an honest Platt calibration.
  const std::vector<int> fold =
      datasets::stratified_folds(std::vector<int64_t>(y.begin(), y.end()), 3, seed_, 17, classes);
  machines_.clear();
  calibration_.assign(classes, {});
  const int machines = classes == 2 ? 1 : classes;
  for (int k = 0; k < machines; ++k) {
    const int target = classes == 2 ? 1 : k;
    std::vector<int> labels(y.size());
    for (size_t i = 0; i < y.size(); ++i) labels[i] = y[i] == target ? 1 : 0;
    std::vector<double> decisions(y.size());
    std::vector<bool> positive(y.size());
    for (int f = 0; f < 3; ++f) {
      std::vector<int> train_rows, train_labels;
      for (size_t i = 0; i < y.size(); ++i)
        if (fold[i] != f) {
          train_rows.push_back(static_cast<int>(i));
          train_labels.push_back(labels[i]);
        }
      cv::Mat subset;
      for (int row : train_rows) subset.push_back(data.row(row));
      const bool both = std::count(train_labels.begin(), train_labels.end(), 1) > 0 &&
                        std::count(train_labels.begin(), train_labels.end(), 0) > 0;
      const auto svm = both ? train_one(subset, train_labels) : cv::Ptr<cv::ml::SVM>();
      for (size_t i = 0; i < y.size(); ++i)
        if (fold[i] == f) decisions[i] = svm ? decision_value(svm, data.row(static_cast<int>(i))) : 0.0;
    }
    for (size_t i = 0; i < y.size(); ++i) positive[i] = labels[i] == 1;
    calibration_[k].fit(decisions, positive);
    machines_.push_back(train_one(data, labels));
  }
}

Eigen::MatrixXd SupportVectorMachine::predict_proba(const Eigen::MatrixXd& x) const {
  if (machines_.empty()) core::fail("classifier 'svm' is not fitted");
  if (x.cols() != mean_.size()) core::fail("classifier 'svm': fitted on ", mean_.size(), " features, got ", x.cols());
  const cv::Mat data = to_cv_matrix((x.rowwise() - mean_).array().rowwise() / scale_.array());
  const int classes = static_cast<int>(calibration_.size());
  Eigen::MatrixXd out(x.rows(), classes);
  for (int i = 0; i < data.rows; ++i) {
    if (classes == 2) {
      const double p = calibration_[0](decision_value(machines_[0], data.row(i)));
      out(i, 0) = 1 - p;
      out(i, 1) = p;
      continue;
    }
    for (int k = 0; k < classes; ++k) out(i, k) = calibration_[k](decision_value(machines_[k], data.row(i)));
    out.row(i) /= std::max(out.row(i).sum(), 1e-12);
  }
  return out;
}

nlohmann::json SupportVectorMachine::save() const {
  nlohmann::json machines = nlohmann::json::array(), platt = nlohmann::json::array();
  for (const auto& m : machines_) machines.push_back(opencv_model_text(m));
  for (const auto& c : calibration_) platt.push_back({c.a, c.b});
  return {{"learner", kName},
          {"mean", std::vector<double>(mean_.data(), mean_.data() + mean_.size())},
          {"scale", std::vector<double>(scale_.data(), scale_.data() + scale_.size())},
          {"machines", machines},
          {"platt", platt}};
}

void SupportVectorMachine::load(const nlohmann::json& state, const StateShape& shape) {
  const auto mean = state.at("mean").get<std::vector<double>>(), scale = state.at("scale").get<std::vector<double>>();
  const auto platt = state.at("platt").get<std::vector<std::array<double, 2>>>();
  const auto texts = state.at("machines").get<std::vector<std::string>>();
  // One Platt pair per class; one machine per class, or one for two classes.
  const auto classes = static_cast<long long>(platt.size());
  require_state_shape(static_cast<Eigen::Index>(mean.size()), classes, shape);
  if (scale.size() != mean.size() || texts.size() != static_cast<size_t>(classes == 2 ? 1 : classes))
    core::fail(mean.size(), " means, ", scale.size(), " scales, ", texts.size(), " machines and ", platt.size(),
               " Platt pairs");
  require_finite("mean", mean);
  require_finite("scale", scale, true);
  for (const auto& ab : platt) require_finite("platt", {ab[0], ab[1]});
  machines_.clear();
  for (const auto& text : texts) {
    auto machine = cv::Algorithm::loadFromString<cv::ml::SVM>(text);
    if (machine.empty() || !machine->isTrained() || machine->getVarCount() != static_cast<int>(mean.size()))
      core::fail("a machine of 'machines' is not a trained OpenCV SVM on ", mean.size(), " features");
    machines_.push_back(machine);
  }
  mean_ = Eigen::Map<const Eigen::RowVectorXd>(mean.data(), static_cast<Eigen::Index>(mean.size()));
  scale_ = Eigen::Map<const Eigen::RowVectorXd>(scale.data(), static_cast<Eigen::Index>(scale.size()));
  calibration_.clear();
  for (const auto& ab : platt) calibration_.push_back({ab[0], ab[1]});
}

}  // namespace vbiopsy::fusion
