#include <nlohmann/json.hpp>

#include "core/error.h"
#include "fusion/learners/builtin.h"
#include "fusion/json_integers.h"

namespace vbiopsy::fusion {

std::vector<core::OptionSpec> RandomForest::option_specs() {
  return {{"trees", "200", "number of trees"},
          {"max_depth", "12", "maximum tree depth"},
          {"min_samples", "2", "minimum cases in a node to split it"}};
}

RandomForest::RandomForest(const core::ResolvedOptions& options, uint64_t seed, int)
    : trees_(options.integer("trees")),
      max_depth_(options.integer("max_depth")),
      min_samples_(options.integer("min_samples")),
      seed_(seed) {
  if (trees_ < 1 || max_depth_ < 1 || min_samples_ < 1)
    core::fail("classifier 'random_forest': trees, max_depth, min_samples must be >= 1");
}

void RandomForest::fit(const Eigen::MatrixXd& x, const std::vector<int>& y) {
  classes_ = check_training_data(kName, x, y);
  forest_ = cv::ml::RTrees::create();
  forest_->setMaxDepth(static_cast<int>(max_depth_));
  forest_->setMinSampleCount(static_cast<int>(min_samples_));
  forest_->setActiveVarCount(0);  // sqrt(features)
  forest_->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, static_cast<int>(trees_), 0));
  // OpenCV draws bootstrap samples from its global generator: seed it for reproducible forests.
  cv::theRNG().state = seed_ ? seed_ : 1;
  cv::Mat responses(y, true);
  forest_->train(cv::ml::TrainData::create(
      to_cv_matrix(x), cv::ml::ROW_SAMPLE, responses, cv::noArray(), cv::noArray(), cv::noArray(), [&] {
        cv::Mat types(static_cast<int>(x.cols()) + 1, 1, CV_8U, cv::Scalar(cv::ml::VAR_ORDERED));
        types.at<uchar>(static_cast<int>(x.cols())) = cv::ml::VAR_CATEGORICAL;
        return types;
      }()));
}

Eigen::MatrixXd RandomForest::predict_proba(const Eigen::MatrixXd& x) const {
  if (!forest_) core::fail("classifier 'random_forest' is not fitted");
  cv::Mat votes;
  forest_->getVotes(to_cv_matrix(x), votes, 0);
  // First row: the class labels of the columns; then one row of vote counts per case.
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(x.rows(), classes_);
  for (int i = 0; i < static_cast<int>(x.rows()); ++i) {
    double total = 0;
    for (int c = 0; c < votes.cols; ++c) {
      const int label = votes.at<int>(0, c);
      if (label >= 0 && label < classes_) {
        out(i, label) = votes.at<int>(i + 1, c);
        total += out(i, label);
      }
    }
    out.row(i) /= std::max(total, 1.0);
  }
  return out;
}

nlohmann::json RandomForest::save() const {
  return {{"learner", kName}, {"classes", classes_}, {"model", opencv_model_text(forest_)}};
}

void RandomForest::load(const nlohmann::json& state, const StateShape& shape) {
  const auto classes = json_integer(state.at("classes"), "classes");
  auto forest = cv::Algorithm::loadFromString<cv::ml::RTrees>(state.at("model").get<std::string>());
  if (forest.empty() || !forest->isTrained()) core::fail("'model' holds no trained OpenCV random trees");
  require_state_shape(forest->getVarCount(), classes, shape);
  classes_ = static_cast<int>(classes);
  forest_ = forest;
}

}  // namespace vbiopsy::fusion
