#include <xgboost/c_api.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "fusion/learners/builtin.h"
#include "fusion/learners/xgboost_model_check.h"
#include "fusion/json_integers.h"

namespace vbiopsy::fusion {

namespace {

void check(int status, const char* what) {
  if (status != 0) core::fail("classifier 'xgboost': ", what, ": ", XGBGetLastError());
}

// A DMatrix owned for the duration of one call.
class Matrix {
 public:
  explicit Matrix(const Eigen::MatrixXd& x) {
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = x.cast<float>();
    check(XGDMatrixCreateFromMat(rows.data(), static_cast<bst_ulong>(x.rows()), static_cast<bst_ulong>(x.cols()),
                                 std::numeric_limits<float>::quiet_NaN(), &handle_),
          "creating the data matrix");
  }
  ~Matrix() { XGDMatrixFree(handle_); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

}  // namespace

std::vector<core::OptionSpec> XGBoostClassifier::option_specs() {
  return {{"rounds", "200", "boosting rounds"},
          {"max_depth", "3", "maximum tree depth"},
          {"eta", "0.1", "learning rate"},
          {"subsample", "0.8", "row subsampling per tree"},
          {"colsample_bytree", "0.8", "feature subsampling per tree"},
          {"min_child_weight", "1", "minimum hessian in a leaf"},
          {"lambda", "1", "L2 regularisation of leaf weights"}};
}

XGBoostClassifier::XGBoostClassifier(const core::ResolvedOptions& options, uint64_t seed, int threads)
    : options_(options), seed_(seed), threads_(threads) {
  if (options.integer("rounds") < 1 || options.integer("max_depth") < 1)
    core::fail("classifier 'xgboost': rounds and max_depth must be >= 1");
}

XGBoostClassifier::~XGBoostClassifier() {
  if (booster_) XGBoosterFree(booster_);
}

void XGBoostClassifier::create_booster(void* matrix) {
  if (booster_) XGBoosterFree(booster_);
  booster_ = nullptr;
  DMatrixHandle matrices[1] = {matrix};
  check(XGBoosterCreate(matrices, matrix ? 1 : 0, &booster_), "creating the booster");
}

void XGBoostClassifier::fit(const Eigen::MatrixXd& x, const std::vector<int>& y) {
  classes_ = check_training_data(kName, x, y);
  Matrix data(x);
  const std::vector<float> labels(y.begin(), y.end());
  check(XGDMatrixSetFloatInfo(data.get(), "label", labels.data(), static_cast<bst_ulong>(labels.size())),
        "setting the labels");
  create_booster(data.get());
  auto set = [&](const char* key, const std::string& value) {
    check(XGBoosterSetParam(booster_, key, value.c_str()), key);
  };
  if (classes_ == 2) {
    set("objective", "binary:logistic");
  } else {
    set("objective", "multi:softprob");
    set("num_class", std::to_string(classes_));
  }
  for (const char* key : {"max_depth", "eta", "subsample", "colsample_bytree", "min_child_weight", "lambda"})
    set(key, options_.text(key));
  set("seed", std::to_string(seed_ % 2147483647));
  set("nthread", std::to_string(threads_));
  set("verbosity", "0");
  for (long long round = 0; round < options_.integer("rounds"); ++round)
    check(XGBoosterUpdateOneIter(booster_, static_cast<int>(round), data.get()), "training");
}

Eigen::MatrixXd XGBoostClassifier::predict_proba(const Eigen::MatrixXd& x) const {
  if (!booster_ || classes_ == 0) core::fail("classifier 'xgboost' is not fitted");
  Matrix data(x);
  bst_ulong length = 0;
  const float* result = nullptr;
  check(XGBoosterPredict(booster_, data.get(), 0, 0, 0, &length, &result), "predicting");
  Eigen::MatrixXd out(x.rows(), classes_);
  if (classes_ == 2) {
    if (length != static_cast<bst_ulong>(x.rows()))
      core::fail("classifier 'xgboost': ", length, " predictions for ", x.rows(), " cases");
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      out(i, 1) = result[i];
      out(i, 0) = 1.0 - result[i];
    }
    return out;
  }
  if (length != static_cast<bst_ulong>(x.rows() * classes_))
    core::fail("classifier 'xgboost': ", length, " predictions for ", x.rows(), " cases");
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (int k = 0; k < classes_; ++k) out(i, k) = result[i * classes_ + k];
  return out;
}

// TreeSHAP (Lundberg et al. 2020), path-dependent: libxgboost's contribution prediction. Its last
// column is the expected margin over the training cases (tree covers). A binary model's margin is
// class 1's log-odds; class 0 gets margin 0, so the softmax of the two is the logistic link.
std::optional<MarginShapley> XGBoostClassifier::exact_shapley(const Eigen::RowVectorXd& x) const {
  if (!booster_ || classes_ == 0) core::fail("classifier 'xgboost' is not fitted");
  Matrix data(x);
  bst_ulong length = 0;
  const float* result = nullptr;
  constexpr int kContributions = 4;  // option_mask: pred_contribs
  check(XGBoosterPredict(booster_, data.get(), kContributions, 0, 0, &length, &result), "computing contributions");
  const Eigen::Index p = x.size();
  const int margins = classes_ == 2 ? 1 : classes_;
  if (length != static_cast<bst_ulong>(margins * (p + 1)))
    core::fail("classifier 'xgboost': ", length, " contributions for ", p, " features and ", margins, " margins");
  MarginShapley out{"exact TreeSHAP of the margins (libxgboost, path-dependent)", Eigen::VectorXd::Zero(classes_),
                    Eigen::MatrixXd::Zero(classes_, p)};
  for (int m = 0; m < margins; ++m) {
    const int k = classes_ == 2 ? 1 : m;
    for (Eigen::Index j = 0; j < p; ++j) out.values(k, j) = result[m * (p + 1) + j];
    out.base(k) = result[m * (p + 1) + p];
  }
  return out;
}

nlohmann::json XGBoostClassifier::save() const {
  if (!booster_) core::fail("classifier 'xgboost' is not fitted");
  bst_ulong length = 0;
  const char* buffer = nullptr;
  check(XGBoosterSaveModelToBuffer(booster_, R"({"format": "json"})", &length, &buffer), "saving");
  return {{"learner", kName}, {"classes", classes_}, {"model", std::string(buffer, length)}};
}

void XGBoostClassifier::load(const nlohmann::json& state, const StateShape& shape) {
  const auto classes = json_integer(state.at("classes"), "classes");
  const auto model = state.at("model").get<std::string>();
  require_state_shape(shape.features, classes, shape);
  check_xgboost_model(model, classes);
  create_booster(nullptr);
  check(XGBoosterLoadModelFromBuffer(booster_, model.data(), static_cast<bst_ulong>(model.size())), "loading");
  bst_ulong features = 0;
  check(XGBoosterGetNumFeature(booster_, &features), "reading its feature count");
  require_state_shape(static_cast<Eigen::Index>(features), classes, shape);
  classes_ = static_cast<int>(classes);
}

}  // namespace vbiopsy::fusion
