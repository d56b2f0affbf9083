#include "fusion/learners/classifier.h"

#include <gtest/gtest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/random.h"
#include "fusion/json_integers.h"
#include "fusion/learners/builtin.h"

namespace vbiopsy::fusion {
namespace {

// n cases of `classes` Gaussian blobs in p dimensions (class k shifted along feature k), plus noise features.
std::pair<Eigen::MatrixXd, std::vector<int>> blobs(int n, int classes, int p, double shift, uint64_t seed) {
  core::Rng rng(seed);
  Eigen::MatrixXd x(n, p);
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) {
    y[i] = i % classes;
    for (int j = 0; j < p; ++j) x(i, j) = rng.normal() + (j == y[i] ? shift : 0.0);
  }
  return {x, y};
}

double accuracy(const Eigen::MatrixXd& p, const std::vector<int>& y) {
  int right = 0;
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    Eigen::Index best;
    p.row(i).maxCoeff(&best);
    right += best == y[i];
  }
  return static_cast<double>(right) / static_cast<double>(y.size());
}

TEST(Classifiers, EveryLearnerSeparatesBlobsWithCalibratedRowsAndSurvivesSaveAndLoad) {
  for (const auto& name : builtin_classifiers().names())
    for (int classes : {2, 3}) {
      const auto [x, y] = blobs(90, classes, 5, 4.0, 3);
      const auto [test_x, test_y] = blobs(60, classes, 5, 4.0, 4);
      auto learner = make_classifier(name, {}, 11);
      learner->fit(x, y);
      const auto p = learner->predict_proba(test_x);
      ASSERT_EQ(p.cols(), classes) << name;
      EXPECT_GE(accuracy(p, test_y), 0.9) << name << " " << classes;
      EXPECT_TRUE(((p.rowwise().sum().array() - 1).abs() < 1e-6).all()) << name;
      EXPECT_TRUE((p.array() >= 0).all()) << name;
      const auto state = nlohmann::json::parse(learner->save().dump());
      const auto copy = load_classifier(name, state, {5, classes});
      EXPECT_TRUE(copy->predict_proba(test_x).isApprox(p, 1e-6)) << name;
      // A state is refused when what it would be given disagrees with what it was fitted on.
      EXPECT_THROW(load_classifier(name, state, {6, classes}), core::Error) << name;
      EXPECT_THROW(load_classifier(name, state, {5, classes + 1}), core::Error) << name;
      EXPECT_THROW(load_classifier(name, nlohmann::json::array(), {5, classes}), core::Error) << name;
    }
}

// Edited states (a bundle is text anyone can change and re-hash): each is an Error naming the
// problem, never a read outside the model's arrays or a prediction from garbage.
// Counts in edited files are whole numbers in range, or an error naming the field.
TEST(JsonIntegers, AcceptWholeNumbersInRangeAndNameTheFieldOtherwise) {
  using nlohmann::json;
  EXPECT_EQ(json_integer<int>(json(3), "n"), 3);
  EXPECT_EQ(json_integer<int>(json(3.0), "n"), 3);
  EXPECT_EQ(json_integer<size_t>(json(7u), "n", 0), 7u);
  EXPECT_EQ(json_integers<int>(json::parse("[1, 2.0, 3]"), "v"), (std::vector<int>{1, 2, 3}));
  auto error = [](auto&& read) {
    try {
      read();
    } catch (const core::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error([] { json_integer<int>(json(2.5), "classes"); }),
            "classes: 2.5, expected an integer in -2147483648..2147483647");
  EXPECT_EQ(error([] { json_integer<int>(json(3.7e70), "classes"); }),
            "classes: 3.7e+70, expected an integer in -2147483648..2147483647");
  EXPECT_EQ(error([] {
              json_integer<long long>(json(9223372036854775808.0), "n");
            }).rfind("n: 9.223372036854776e+18, expected", 0),
            0u);
  EXPECT_EQ(error([] { json_integer<int>(json(-1), "count", 0); }), "count: -1, expected an integer in 0..2147483647");
  EXPECT_EQ(error([] { json_integer<int>(json(3000000000u), "n"); }),
            "n: 3000000000, expected an integer in -2147483648..2147483647");
  EXPECT_EQ(error([] { json_integer<int>(json("3"), "n"); }),
            "n: string \"3\", expected an integer in -2147483648..2147483647");
  EXPECT_EQ(error([] { json_integers<int>(json::parse("[1, 0.5]"), "left"); }),
            "left[1]: 0.5, expected an integer in -2147483648..2147483647");
}

TEST(Classifiers, EditedStatesAreRefusedByName) {
  const auto [x, y] = blobs(60, 3, 4, 4.0, 7);
  auto fitted = [&](const std::string& name) {
    auto learner = make_classifier(name, {}, 3);
    learner->fit(x, y);
    return nlohmann::json::parse(learner->save().dump());
  };
  auto refused = [](const std::string& name, const nlohmann::json& state, const std::string& words) {
    try {
      load_classifier(name, state, {4, 3});
      ADD_FAILURE() << name << ": accepted " << words;
    } catch (const core::Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  auto trees = fitted("extra_trees");
  auto edited = trees;
  edited["trees"][0]["left"][0] = 100000;  // a child beyond the tree
  refused("extra_trees", edited, "children 100000");
  edited = trees;
  edited["trees"][0]["left"][0] = 0;  // a cycle back to the root
  refused("extra_trees", edited, "children 0");
  edited = trees;
  edited["trees"][0]["feature"][0] = 4;  // a feature the input does not have
  refused("extra_trees", edited, "feature 4 of 4");
  edited = trees;
  edited["trees"][1]["threshold"].erase(0);
  refused("extra_trees", edited, "differ in length");
  auto logistic = fitted("logistic");
  edited = logistic;
  edited["coefficients"].erase(0);
  refused("logistic", edited, "values, expected 12");
  edited = logistic;
  edited["scale"][2] = 0.0;
  refused("logistic", edited, "'scale' value 2 is 0");
  edited = logistic;
  edited["features"] = -1;
  refused("logistic", edited, "fitted on -1 features");
  auto svm = fitted("svm");
  edited = svm;
  edited["scale"].erase(0);
  refused("svm", edited, "3 scales");
  edited = svm;
  edited["machines"][1] = "%YAML:1.0\nnot: a model\n";
  refused("svm", edited, "classifier 'svm' state");
  auto forest = fitted("random_forest");
  edited = forest;
  edited["model"] = std::string(forest["model"]).substr(0, 200);
  refused("random_forest", edited, "classifier 'random_forest' state");
  auto boosted = fitted("xgboost");
  edited = boosted;
  edited["model"] = "{\"learner\": 1}";
  refused("xgboost", edited, "classifier 'xgboost' state");
  // libxgboost trusts its model file and crashed on these (found by fuzz_bundle): each is refused
  // before it loads.
  auto boosted_model = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto model = nlohmann::json::parse(boosted["model"].get<std::string>());
    edit(model["learner"]["gradient_booster"]["model"]);
    auto state = boosted;
    state["model"] = model.dump();
    return state;
  };
  edited = boosted;
  const std::string text = boosted["model"];
  const auto split_type = text.find("\"split_type\":[0,");
  ASSERT_NE(split_type, std::string::npos);
  edited["model"] = text.substr(0, split_type + 14) + "010" + text.substr(split_type + 15);  // the fuzzer's mutation
  refused("xgboost", edited, "its model is not valid JSON");
  refused("xgboost", boosted_model([](auto& m) { m["trees"][0]["split_type"].erase(0); }), "trees[0].split_type: ");
  refused("xgboost", boosted_model([](auto& m) { m["trees"][1]["left_children"][0] = 5000; }),
          "trees[1].left_children[0]: 5000");
  refused("xgboost", boosted_model([](auto& m) { m["trees"][0]["right_children"][0] = 0; }),
          "trees[0] node 0: child 0 is not a later node");
  refused("xgboost", boosted_model([](auto& m) { m["trees"][0]["split_indices"][0] = 4; }),
          "split_indices[0]: 4; expected a feature in [0, 3]");
  refused("xgboost", boosted_model([](auto& m) { m["trees"][2]["tree_param"]["num_nodes"] = "99999999"; }),
          "num_nodes: \"99999999\"");
  refused("xgboost", boosted_model([](auto& m) { m["trees"].erase(0); }), "num_trees");
  EXPECT_NO_THROW(load_classifier("xgboost", boosted_model([](auto&) {}), {4, 3}));
}

TEST(Classifiers, TheSameSeedGivesTheSameModel) {
  const auto [x, y] = blobs(60, 3, 6, 1.5, 5);
  for (const auto& name : builtin_classifiers().names()) {
    auto a = make_classifier(name, {}, 21), b = make_classifier(name, {}, 21);
    a->fit(x, y);
    b->fit(x, y);
    EXPECT_EQ(a->predict_proba(x), b->predict_proba(x)) << name;
  }
}

TEST(Classifiers, RefuseNaNsMissingClassesAndUnknownNames) {
  auto [x, y] = blobs(30, 3, 3, 2.0, 6);
  auto learner = make_classifier("logistic", {});
  x(4, 1) = NAN;
  EXPECT_THROW(learner->fit(x, y), core::Error);
  x(4, 1) = 0;
  for (auto& label : y) label = label == 1 ? 2 : label;  // class 1 has no case
  EXPECT_THROW(learner->fit(x, y), core::Error);
  EXPECT_THROW(make_classifier("lightgbm", {}), core::Error);
  EXPECT_THROW(make_classifier("logistic", {{"penalty", "l3"}}), core::Error);
  EXPECT_THROW(make_classifier("logistic", {}).get()->predict_proba(x), core::Error);
}

TEST(ExtraTrees, GrowsPureLeavesAndTheSameForestWhateverTheThreadCount) {
  const auto [x, y] = blobs(60, 3, 4, 0.5, 8);  // overlapping classes: the trees must grow deep
  auto one_tree = make_classifier("extra_trees", {{"trees", "1"}}, 3);
  one_tree->fit(x, y);
  EXPECT_EQ(accuracy(one_tree->predict_proba(x), y), 1.0) << "an unpruned tree reproduces distinct training cases";
  auto serial = make_classifier("extra_trees", {}, 3, 1), parallel = make_classifier("extra_trees", {}, 3, 2);
  serial->fit(x, y);
  parallel->fit(x, y);
  EXPECT_EQ(serial->predict_proba(x), parallel->predict_proba(x));
}

// The optimality (KKT) conditions of the penalised problem, independently of how it was solved:
// L2: grad + lambda W = 0. L1: grad_j = -lambda sign(w_j) where w_j != 0, |grad_j| <= lambda where 0.
TEST(LogisticRegression, SolutionsSatisfyTheOptimalityConditions) {
  for (uint64_t seed : {1, 2, 3}) {
    const auto [x, y] = blobs(80, 3, 8, 1.0, seed);
    auto ridge = make_classifier(
        "logistic", {{"penalty", "l2"}, {"lambda", "0.05"}, {"tolerance", "1e-10"}, {"max_iterations", "50000"}});
    ridge->fit(x, y);
    const auto& r = dynamic_cast<LogisticRegression&>(*ridge);
    EXPECT_LT((r.loss_gradient(x, y) + 0.05 * r.coefficients()).cwiseAbs().maxCoeff(), 1e-6) << seed;

    auto lasso = make_classifier(
        "logistic", {{"penalty", "l1"}, {"lambda", "0.05"}, {"tolerance", "1e-10"}, {"max_iterations", "50000"}});
    lasso->fit(x, y);
    const auto& l = dynamic_cast<LogisticRegression&>(*lasso);
    const auto g = l.loss_gradient(x, y);
    int zeros = 0;
    for (Eigen::Index j = 0; j < g.rows(); ++j)
      for (Eigen::Index k = 0; k < g.cols(); ++k) {
        const double w = l.coefficients()(j, k);
        if (w == 0) {
          ++zeros;
          EXPECT_LE(std::abs(g(j, k)), 0.05 + 1e-6) << seed;
        } else {
          EXPECT_NEAR(g(j, k), -0.05 * (w > 0 ? 1 : -1), 1e-5) << seed;
        }
      }
    EXPECT_GT(zeros, 0) << "an L1 penalty of this size zeroes some of the noise features";
  }
}

// Exact Shapley values of the margins (classifier.h) against an independent reference: for the
// logistic model, brute force over every subset of features, with features outside the subset at
// their training means and the value function read from the probabilities the model returns
// (log p_k - log p_0, which the softmax leaves equal to the logit difference).
TEST(ExactShapley, LinearShapEqualsBruteForceShapleyOfTheLogits) {
  for (uint64_t seed : {1, 2, 3}) {
    const int p = 4;
    const auto [x, y] = blobs(120, 3, p, 1.5, seed);
    const auto [test_x, test_y] = blobs(5, 3, p, 1.5, seed + 100);
    auto learner = make_classifier("logistic", {}, seed);
    learner->fit(x, y);
    const Eigen::RowVectorXd mean = x.colwise().mean();
    for (Eigen::Index row = 0; row < test_x.rows(); ++row) {
      const Eigen::RowVectorXd case_x = test_x.row(row);
      const auto shap = learner->exact_shapley(case_x);
      ASSERT_TRUE(shap.has_value());
      auto value = [&](unsigned subset, int k) {
        Eigen::RowVectorXd v = mean;
        for (int j = 0; j < p; ++j)
          if (subset & (1u << j)) v(j) = case_x(j);
        const Eigen::MatrixXd prob = learner->predict_proba(v);
        return std::log(prob(0, k)) - std::log(prob(0, 0));
      };
      std::vector<double> factorial(p + 1, 1.0);
      for (int i = 1; i <= p; ++i) factorial[i] = factorial[i - 1] * i;
      for (int k = 1; k < 3; ++k)
        for (int j = 0; j < p; ++j) {
          double phi = 0;
          for (unsigned s = 0; s < (1u << p); ++s) {
            if (s & (1u << j)) continue;
            const int size = __builtin_popcount(s);
            phi += factorial[size] * factorial[p - size - 1] / factorial[p] * (value(s | (1u << j), k) - value(s, k));
          }
          EXPECT_NEAR(shap->values(k, j) - shap->values(0, j), phi, 1e-9)
              << "seed " << seed << " class " << k << " feature " << j;
        }
    }
  }
}

// TreeSHAP from libxgboost: softmax(base + the sum of a class's values) is the model's probability,
// for three classes and two; a feature the trees cannot split on (constant) gets nothing.
TEST(ExactShapley, TreeShapAddsUpToTheProbabilitiesAndIgnoresAConstantFeature) {
  for (int classes : {3, 2})
    for (uint64_t seed : {4, 5}) {
      auto [x, y] = blobs(100, classes, 4, 2.0, seed);
      x.col(3).setConstant(0.5);
      auto learner = make_classifier("xgboost", {{"rounds", "30"}}, seed);
      learner->fit(x, y);
      const auto [test_x, test_y] = blobs(6, classes, 4, 2.0, seed + 50);
      const Eigen::MatrixXd prob = learner->predict_proba(test_x);
      for (Eigen::Index row = 0; row < test_x.rows(); ++row) {
        const auto shap = learner->exact_shapley(test_x.row(row));
        ASSERT_TRUE(shap.has_value());
        ASSERT_EQ(shap->values.rows(), classes);
        Eigen::VectorXd margin = shap->base + shap->values.rowwise().sum();
        const Eigen::VectorXd e = (margin.array() - margin.maxCoeff()).exp();
        for (int k = 0; k < classes; ++k) {
          EXPECT_NEAR(e(k) / e.sum(), prob(row, k), 1e-5) << classes << " classes, seed " << seed;
          EXPECT_EQ(shap->values(k, 3), 0.0);
        }
        EXPECT_GT(shap->values.cwiseAbs().sum(), 0.0);
      }
    }
  // Learners without an exact method say so.
  const auto [x, y] = blobs(60, 3, 4, 2.0, 6);
  auto forest = make_classifier("random_forest", {}, 1);
  forest->fit(x, y);
  EXPECT_FALSE(forest->exact_shapley(x.row(0)).has_value());
}

TEST(PlattScaling, RecoversALogisticLink) {
  // Decision values whose true P(y = 1 | f) = 1 / (1 + exp(-2 f + 0.5)); Platt's a, b are -2, 0.5.
  core::Rng rng(9);
  std::vector<double> f;
  std::vector<bool> positive;
  for (int i = 0; i < 20000; ++i) {
    const double d = rng.uniform(-3, 3);
    f.push_back(d);
    positive.push_back(rng.uniform() < 1 / (1 + std::exp(-2 * d + 0.5)));
  }
  PlattScaling platt;
  platt.fit(f, positive);
  EXPECT_NEAR(platt.a, -2.0, 0.1);
  EXPECT_NEAR(platt.b, 0.5, 0.1);
}

}  // namespace
}  // namespace vbiopsy::fusion
