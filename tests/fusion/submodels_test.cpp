#include "fusion/submodels.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/random.h"

namespace vbiopsy::fusion {
namespace {

// Two modalities, each answering one question: the first separates HER2-positive, the second
// HER2-zero. Together they determine the class, alone neither does.
struct TwoViews {
  std::vector<Eigen::MatrixXd> blocks;
  std::vector<std::vector<bool>> present;
  std::vector<int> labels;
};

TwoViews draw(core::Rng& rng, int n, double absent_rate) {
  TwoViews d{{Eigen::MatrixXd(n, 3), Eigen::MatrixXd(n, 3)}, {{}, {}}, {}};
  for (int i = 0; i < n; ++i) {
    const int y = i % 3;
    d.labels.push_back(y);
    for (int j = 0; j < 3; ++j) {
      d.blocks[0](i, j) = (j == 0 ? 3.0 * (y == 2) : 0.0) + rng.normal();
      d.blocks[1](i, j) = (j == 0 ? 3.0 * (y == 0) : 0.0) + rng.normal();
    }
    d.present[0].push_back(!rng.bernoulli(absent_rate));
    d.present[1].push_back(!rng.bernoulli(absent_rate));
  }
  return d;
}

double accuracy(const Eigen::MatrixXd& p, const std::vector<int>& labels) {
  int correct = 0;
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    Eigen::Index k;
    p.row(i).maxCoeff(&k);
    correct += k == labels[static_cast<size_t>(i)];
  }
  return correct / static_cast<double>(p.rows());
}

TEST(BinarySubmodels, CombineTwoQuestionsIntoThreeClassesAndIgnoreAbsentBlocks) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    core::Rng rng(seed);
    const auto train = draw(rng, 240, 0.1), test = draw(rng, 240, 0.0);
    BinarySubmodels model;
    model.fit(train.blocks, train.present, train.labels, BinarySubmodels::options_from({{"meta", "logistic"}}), seed,
              1);
    const auto p = model.predict_proba(test.blocks, test.present);
    EXPECT_GT(accuracy(p, test.labels), 0.85) << seed;
    EXPECT_LT((p.rowwise().sum().array() - 1).abs().maxCoeff(), 1e-9);
    // An absent block's values are never read.
    auto absent = test;
    std::fill(absent.present[1].begin(), absent.present[1].end(), false);
    auto garbage = absent;
    garbage.blocks[1].setConstant(1e6);
    EXPECT_EQ(model.predict_proba(absent.blocks, absent.present), model.predict_proba(garbage.blocks, garbage.present));
    // Without the zero-vs-rest view the zero and low classes cannot be told apart any more.
    EXPECT_LT(accuracy(model.predict_proba(absent.blocks, absent.present), test.labels), 0.75) << seed;
    // Saved and loaded: the same probabilities.
    std::vector<Eigen::Index> widths;
    for (const auto& block : test.blocks) widths.push_back(block.cols());
    const auto state = nlohmann::json::parse(model.save().dump());
    const auto loaded = BinarySubmodels::load(state, widths);
    EXPECT_EQ(loaded.predict_proba(test.blocks, test.present), p);
    widths[0] += 1;  // blocks of another width than the submodels were fitted on
    EXPECT_THROW(BinarySubmodels::load(state, widths), core::Error);
  }
  EXPECT_THROW(BinarySubmodels::options_from({{"depth", "2"}}), core::Error);
  for (const char* folds :
       {"abc", "1", "3.5", "99999999999999999999"})  // a core::Error naming the option, not std::stoi's
    EXPECT_THROW(BinarySubmodels::options_from({{"inner_folds", folds}}), core::Error) << folds;
  EXPECT_EQ(BinarySubmodels::options_from({{"inner_folds", "4"}}).inner_folds, 4);
}

}  // namespace
}  // namespace vbiopsy::fusion
