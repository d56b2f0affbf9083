#include "fusion/stacking.h"

#include <torch/types.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/random.h"
#include "core/strings.h"
#include "datasets/splits.h"
#include "fusion/builtin.h"

namespace vbiopsy::fusion {

namespace {

std::vector<int64_t> labels_of(const torch::Tensor& targets) {
  const auto t = targets.to(torch::kInt64).contiguous();
  return {t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel()};
}

void require_late(const ModelSpec& spec) {
  if (spec.fusion != "late")
    core::fail("stacking combines late fusion heads; the model's fusion is '", spec.fusion, "'");
}

}  // namespace

Eigen::MatrixXd stacking_features(const torch::Tensor& modality_probabilities, const torch::Tensor& present,
                                  const std::vector<double>& prior) {
  const auto p = modality_probabilities.to(torch::kDouble).contiguous();
  const auto mask = present.to(torch::kBool).contiguous();
  const int64_t n = p.size(0), m = p.size(1);
  Eigen::MatrixXd x(n, m * (kClasses + 1));
  auto pa = p.accessor<double, 3>();
  auto ma = mask.accessor<bool, 2>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      for (int64_t k = 0; k < kClasses; ++k) x(i, j * (kClasses + 1) + k) = ma[i][j] ? pa[i][j][k] : prior[k];
      x(i, j * (kClasses + 1) + kClasses) = ma[i][j] ? 1.0 : 0.0;
    }
  return x;
}

void StackedLateModel::fit(const ModelSpec& spec, const Batch& train, const TrainingOptions& options,
                           const StackingOptions& stacking) {
  require_late(spec);
  const auto labels = labels_of(train.targets);
  prior_.assign(kClasses, 0.0);
  for (auto y : labels) prior_[y] += 1.0 / static_cast<double>(labels.size());
  // Out-of-fold per-modality probabilities from models that never saw the case.
  if (stacking.inner_folds < 2) core::fail("stacking: inner_folds = ", stacking.inner_folds, ", expected >= 2");
  const auto fold = datasets::stratified_folds(labels, stacking.inner_folds, options.seed);
  auto out_of_fold =
      torch::zeros({train.size(), static_cast<int64_t>(spec.modalities.size()), kClasses}, torch::kDouble);
  for (int f = 0; f < stacking.inner_folds; ++f) {
    std::vector<int64_t> fit_rows, held_rows;
    for (size_t i = 0; i < fold.size(); ++i) (fold[i] == f ? held_rows : fit_rows).push_back(static_cast<int64_t>(i));
    if (held_rows.empty()) continue;
    const auto fit_index = torch::tensor(fit_rows, torch::kInt64), held_index = torch::tensor(held_rows, torch::kInt64);
    torch::manual_seed(core::derive_seed(options.seed, {41, static_cast<uint64_t>(f)}));
    MultimodalModel inner(spec);
    auto inner_options = options;
    inner_options.checkpoint_dir = options.checkpoint_dir.empty()
                                       ? options.checkpoint_dir
                                       : options.checkpoint_dir / ("inner" + std::to_string(f));
    train_model(inner, select_cases(train, fit_index), nullptr, inner_options);
    const auto predicted = fusion::predict(inner, select_cases(train, held_index));
    out_of_fold.index_copy_(0, held_index, predicted.modality_probabilities.to(torch::kDouble));
  }
  learner_ = stacking.learner;
  meta_ = make_classifier(stacking.learner, stacking.learner_options, options.seed, options.threads);
  std::vector<int> meta_labels(labels.begin(), labels.end());
  meta_->fit(stacking_features(out_of_fold, train.present, prior_), meta_labels);
  torch::manual_seed(core::derive_seed(options.seed, {41, 999}));
  model_ = MultimodalModel(spec);
  train_model(model_, train, nullptr, options);
}

torch::Tensor StackedLateModel::predict(const Batch& data) {
  if (!meta_) core::fail("stacked late model is not fitted");
  const auto out = fusion::predict(model_, data);
  const auto p = meta_->predict_proba(stacking_features(out.modality_probabilities, data.present, prior_));
  auto result = torch::empty({p.rows(), p.cols()}, torch::kDouble);
  for (Eigen::Index i = 0; i < p.rows(); ++i)
    for (Eigen::Index k = 0; k < p.cols(); ++k) result[i][k] = p(i, k);
  return result.to(torch::kFloat);
}

nlohmann::json StackedLateModel::save_meta() const {
  if (!meta_) core::fail("stacked late model is not fitted");
  return {{"learner", learner_}, {"prior", prior_}, {"state", meta_->save()}};
}

void StackedLateModel::load_meta(MultimodalModel model, const nlohmann::json& state) {
  require_late(model->spec());
  model_ = std::move(model);
  learner_ = state.at("learner").get<std::string>();
  prior_ = state.at("prior").get<std::vector<double>>();
  if (prior_.size() != kClasses)
    core::fail("stacking state: ", prior_.size(), " prior probabilities, expected ", kClasses);
  require_finite("prior", prior_);
  // stacking_features: per modality its class probabilities and a presence flag.
  const auto modalities = static_cast<Eigen::Index>(model_->spec().modalities.size());
  meta_ = load_classifier(learner_, state.at("state"), {modalities * (kClasses + 1), static_cast<int>(kClasses)});
}

std::vector<core::OptionSpec> stacking_option_specs() {
  const StackingOptions d;
  return {{"stacking_learner", d.learner,
           "with combine = stacking: the meta-learner (any classifier); stacking_<option> its options"},
          {"stacking_folds", std::to_string(d.inner_folds),
           "with combine = stacking: inner folds for the meta-learner's out-of-fold inputs"}};
}

StackingOptions take_stacking_options(std::map<std::string, std::string>& options) {
  StackingOptions stacking;
  for (auto it = options.begin(); it != options.end();) {
    if (it->first.rfind("stacking_", 0) != 0) {
      ++it;
      continue;
    }
    const auto key = it->first.substr(9);
    if (key == "learner")
      stacking.learner = it->second;
    else if (key == "folds") {
      const auto folds = core::parse_int(it->second);
      if (!folds || *folds < 2 || *folds > 100)
        core::fail("[fusion.late] stacking_folds = '", it->second, "', expected an integer from 2 to 100");
      stacking.inner_folds = static_cast<int>(*folds);
    } else
      stacking.learner_options[key] = it->second;
    it = options.erase(it);
  }
  return stacking;
}

}  // namespace vbiopsy::fusion
