#include "fusion/submodels.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/random.h"
#include "core/strings.h"
#include "datasets/her2.h"
#include "datasets/splits.h"
#include "fusion/learners/classifier.h"

namespace vbiopsy::fusion {

namespace {

// The two questions: HER2-positive vs not, HER2-zero vs not.
constexpr int kQuestions = 2;
int answer(int label, int question) { return question == 0 ? label == 2 : label == 0; }

}  // namespace

BinarySubmodels::BinarySubmodels() = default;
BinarySubmodels::~BinarySubmodels() = default;
BinarySubmodels::BinarySubmodels(BinarySubmodels&&) noexcept = default;
BinarySubmodels& BinarySubmodels::operator=(BinarySubmodels&&) noexcept = default;

std::vector<core::OptionSpec> BinarySubmodels::option_specs() {
  const Options d;
  return {
      {"learner", d.learner, "the binary classifier of each question (any classifier); learner_<option> its options"},
      {"meta", d.meta, "the meta-learner over the submodels' probabilities; meta_<option> its options"},
      {"inner_folds", std::to_string(d.inner_folds), "inner folds for the meta-learner's out-of-fold inputs"}};
}

BinarySubmodels::Options BinarySubmodels::options_from(const std::map<std::string, std::string>& options) {
  Options out;
  for (const auto& [key, value] : options) {
    if (key == "learner")
      out.learner = value;
    else if (key == "meta")
      out.meta = value;
    else if (key == "inner_folds") {
      const auto folds = core::parse_int(value);
      if (!folds || *folds < 2 || *folds > 100)
        core::fail("fusion method 'submodels': inner_folds = '", value, "', expected a whole number from 2 to 100");
      out.inner_folds = static_cast<int>(*folds);
    } else if (key.rfind("learner_", 0) == 0)
      out.learner_options[key.substr(8)] = value;
    else if (key.rfind("meta_", 0) == 0)
      out.meta_options[key.substr(5)] = value;
    else
      core::fail("fusion method 'submodels': unknown option '", key,
                 "' (learner, meta, inner_folds, learner_<option>, meta_<option>)");
  }
  if (out.inner_folds < 2) core::fail("fusion method 'submodels': inner_folds = ", out.inner_folds, ", expected >= 2");
  return out;
}

Eigen::MatrixXd BinarySubmodels::meta_features(const std::vector<std::vector<const Classifier*>>& submodels,
                                               const std::vector<Eigen::MatrixXd>& blocks,
                                               const std::vector<std::vector<bool>>& present) const {
  const Eigen::Index n = blocks.front().rows();
  Eigen::MatrixXd out(n, static_cast<Eigen::Index>(3 * blocks.size()));
  for (size_t m = 0; m < blocks.size(); ++m) {
    const auto col = static_cast<Eigen::Index>(3 * m);
    for (int q = 0; q < kQuestions; ++q) {
      const auto p = submodels[m][q]->predict_proba(blocks[m]);
      for (Eigen::Index i = 0; i < n; ++i)
        out(i, col + q) = present[m][static_cast<size_t>(i)] ? p(i, 1) : prevalence_[q];
    }
    for (Eigen::Index i = 0; i < n; ++i) out(i, col + 2) = present[m][static_cast<size_t>(i)];
  }
  return out;
}

void BinarySubmodels::fit(const std::vector<Eigen::MatrixXd>& blocks, const std::vector<std::vector<bool>>& present,
                          const std::vector<int>& labels, const Options& options, uint64_t seed, int threads) {
  if (blocks.empty() || blocks.size() != present.size())
    core::fail("submodels: ", blocks.size(), " blocks, ", present.size(), " presence vectors");
  learner_ = options.learner;
  meta_name_ = options.meta;
  const size_t n = labels.size();
  prevalence_.assign(kQuestions, 0);
  for (int y : labels)
    for (int q = 0; q < kQuestions; ++q) prevalence_[q] += answer(y, q) / static_cast<double>(n);
  // The submodels of one modality, fitted on the given rows that have it.
  auto fit_submodels = [&](size_t m, const std::vector<size_t>& rows, uint64_t stream) {
    std::vector<size_t> used;
    for (size_t r : rows)
      if (present[m][r]) used.push_back(r);
    Eigen::MatrixXd x(static_cast<Eigen::Index>(used.size()), blocks[m].cols());
    for (size_t i = 0; i < used.size(); ++i)
      x.row(static_cast<Eigen::Index>(i)) = blocks[m].row(static_cast<Eigen::Index>(used[i]));
    std::vector<std::unique_ptr<Classifier>> out;
    for (int q = 0; q < kQuestions; ++q) {
      std::vector<int> y;
      for (size_t r : used) y.push_back(answer(labels[r], q));
      out.push_back(make_classifier(options.learner, options.learner_options,
                                    core::derive_seed(seed, {stream, m, static_cast<uint64_t>(q)}), threads));
      out.back()->fit(x, y);
    }
    return out;
  };
  auto pointers = [](const std::vector<std::vector<std::unique_ptr<Classifier>>>& models) {
    std::vector<std::vector<const Classifier*>> out;
    for (const auto& m : models) out.push_back({m[0].get(), m[1].get()});
    return out;
  };
  // Out-of-fold submodel probabilities for the meta-learner.
  const auto fold = datasets::stratified_folds(std::vector<int64_t>(labels.begin(), labels.end()), options.inner_folds,
                                               core::derive_seed(seed, {1}));
  Eigen::MatrixXd meta_x(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(3 * blocks.size()));
  for (int f = 0; f < options.inner_folds; ++f) {
    std::vector<size_t> fit_rows, held;
    for (size_t i = 0; i < n; ++i) (fold[i] == f ? held : fit_rows).push_back(i);
    if (held.empty()) continue;
    std::vector<std::vector<std::unique_ptr<Classifier>>> inner;
    for (size_t m = 0; m < blocks.size(); ++m)
      inner.push_back(fit_submodels(m, fit_rows, 2 + static_cast<uint64_t>(f)));
    std::vector<Eigen::MatrixXd> held_blocks;
    std::vector<std::vector<bool>> held_present;
    for (size_t m = 0; m < blocks.size(); ++m) {
      Eigen::MatrixXd x(static_cast<Eigen::Index>(held.size()), blocks[m].cols());
      std::vector<bool> p;
      for (size_t i = 0; i < held.size(); ++i) {
        x.row(static_cast<Eigen::Index>(i)) = blocks[m].row(static_cast<Eigen::Index>(held[i]));
        p.push_back(present[m][held[i]]);
      }
      held_blocks.push_back(std::move(x));
      held_present.push_back(std::move(p));
    }
    const auto features = meta_features(pointers(inner), held_blocks, held_present);
    for (size_t i = 0; i < held.size(); ++i)
      meta_x.row(static_cast<Eigen::Index>(held[i])) = features.row(static_cast<Eigen::Index>(i));
  }
  meta_ = make_classifier(options.meta, options.meta_options, core::derive_seed(seed, {100}), threads);
  meta_->fit(meta_x, labels);
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  submodels_.clear();
  for (size_t m = 0; m < blocks.size(); ++m) submodels_.push_back(fit_submodels(m, all, 200));
}

Eigen::MatrixXd BinarySubmodels::predict_proba(const std::vector<Eigen::MatrixXd>& blocks,
                                               const std::vector<std::vector<bool>>& present) const {
  if (!meta_) core::fail("submodels: not fitted");
  if (blocks.size() != submodels_.size())
    core::fail("submodels: ", blocks.size(), " blocks, fitted on ", submodels_.size());
  std::vector<std::vector<const Classifier*>> models;
  for (const auto& m : submodels_) models.push_back({m[0].get(), m[1].get()});
  return meta_->predict_proba(meta_features(models, blocks, present));
}

nlohmann::json BinarySubmodels::save() const {
  if (!meta_) core::fail("submodels: not fitted");
  nlohmann::json state = {
      {"learner", learner_}, {"meta", meta_name_}, {"prevalence", prevalence_}, {"meta_state", meta_->save()}};
  for (const auto& m : submodels_) state["submodels"].push_back({m[0]->save(), m[1]->save()});
  return state;
}

BinarySubmodels BinarySubmodels::load(const nlohmann::json& state, const std::vector<Eigen::Index>& block_widths) {
  BinarySubmodels out;
  try {
    out.learner_ = state.at("learner").get<std::string>();
    out.meta_name_ = state.at("meta").get<std::string>();
    out.prevalence_ = state.at("prevalence").get<std::vector<double>>();
    const auto& submodels = state.at("submodels");
    if (!submodels.is_array() || submodels.size() != block_widths.size() || out.prevalence_.size() != kQuestions)
      core::fail("submodels state: ", submodels.size(), " modalities and ", out.prevalence_.size(),
                 " prevalences, expected ", block_widths.size(), " and ", kQuestions);
    // The meta-learner reads three values per modality (meta_features); each submodel one block.
    out.meta_ = load_classifier(
        out.meta_name_, state.at("meta_state"),
        {static_cast<Eigen::Index>(3 * block_widths.size()), static_cast<int>(datasets::kHer2ClassCount)});
    for (size_t m = 0; m < block_widths.size(); ++m) {
      if (!submodels[m].is_array() || submodels[m].size() != kQuestions)
        core::fail("submodels state: modality ", m, " needs ", kQuestions, " submodels");
      std::vector<std::unique_ptr<Classifier>> pair;
      for (int q = 0; q < kQuestions; ++q)
        pair.push_back(load_classifier(out.learner_, submodels[m][static_cast<size_t>(q)], {block_widths[m], 2}));
      out.submodels_.push_back(std::move(pair));
    }
  } catch (const nlohmann::json::exception& e) {
    core::fail("submodels state: ", e.what());
  }
  return out;
}

}  // namespace vbiopsy::fusion
