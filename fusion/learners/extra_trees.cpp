// Extremely randomised trees (Geurts, Ernst & Wehenkel 2006), as scikit-learn's ExtraTreesClassifier
// defaults: no bootstrap, sqrt(p) candidate features per node, one uniform random threshold per
// candidate, the candidate with the largest Gini decrease wins. Neither OpenCV nor XGBoost offers
// this learner, so it is written here. Each tree draws from its own stream (seed, tree), so the
// forest is the same whatever the thread count.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/parallel.h"
#include "core/random.h"
#include "fusion/learners/builtin.h"
#include "fusion/json_integers.h"

namespace vbiopsy::fusion {

namespace {

struct Builder {
  const Eigen::MatrixXd& x;
  const std::vector<int>& y;
  int classes;
  int max_features;
  long long min_samples_split, max_depth;
  core::Rng rng;
  ExtraTrees::Tree tree;

  std::vector<double> distribution(const std::vector<int>& rows) const {
    std::vector<double> p(classes, 0.0);
    for (int r : rows) p[y[r]] += 1.0 / static_cast<double>(rows.size());
    return p;
  }
  static double gini(const std::vector<double>& counts, double total) {
    double sum = 0;
    for (double c : counts) sum += (c / total) * (c / total);
    return 1 - sum;
  }
  int leaf(const std::vector<int>& rows) {
    tree.feature.push_back(-1);
    tree.threshold.push_back(0);
    tree.left.push_back(-1);
    tree.right.push_back(-1);
    tree.leaf_probabilities.push_back(distribution(rows));
    return static_cast<int>(tree.feature.size()) - 1;
  }
  int build(const std::vector<int>& rows, long long depth) {
    const auto p = distribution(rows);
    const bool pure = *std::max_element(p.begin(), p.end()) == 1.0;
    if (pure || static_cast<long long>(rows.size()) < min_samples_split || (max_depth > 0 && depth >= max_depth))
      return leaf(rows);
    std::vector<int> features(x.cols());
    for (int j = 0; j < static_cast<int>(x.cols()); ++j) features[j] = j;
    int best_feature = -1;
    double best_threshold = 0, best_impurity = std::numeric_limits<double>::infinity();
    // Draw candidates until max_features usable ones were tried (constant ones do not count, as in scikit-learn).
    int tried = 0;
    for (int remaining = static_cast<int>(features.size()); remaining > 0 && tried < max_features; --remaining) {
      const int pick = static_cast<int>(rng.below(static_cast<uint64_t>(remaining)));
      const int feature = features[pick];
      std::swap(features[pick], features[remaining - 1]);
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (int r : rows) {
        lo = std::min(lo, x(r, feature));
        hi = std::max(hi, x(r, feature));
      }
      if (!(hi > lo)) continue;
      ++tried;
      const double threshold = rng.uniform(lo, hi);
      std::vector<double> left(classes, 0.0), right(classes, 0.0);
      for (int r : rows) (x(r, feature) <= threshold ? left : right)[y[r]] += 1;
      double n_left = 0, n_right = 0;
      for (int k = 0; k < classes; ++k) {
        n_left += left[k];
        n_right += right[k];
      }
      if (n_left == 0 || n_right == 0) continue;
      const double impurity = n_left * gini(left, n_left) + n_right * gini(right, n_right);
      if (impurity < best_impurity) {
        best_impurity = impurity;
        best_feature = feature;
        best_threshold = threshold;
      }
    }
    if (best_feature < 0) return leaf(rows);
    std::vector<int> left_rows, right_rows;
    for (int r : rows) (x(r, best_feature) <= best_threshold ? left_rows : right_rows).push_back(r);
    const int node = static_cast<int>(tree.feature.size());
    tree.feature.push_back(best_feature);
    tree.threshold.push_back(best_threshold);
    tree.left.push_back(-1);
    tree.right.push_back(-1);
    tree.leaf_probabilities.emplace_back();
    const int left_node = build(left_rows, depth + 1);
    const int right_node = build(right_rows, depth + 1);
    tree.left[node] = left_node;
    tree.right[node] = right_node;
    return node;
  }
};

}  // namespace

std::vector<core::OptionSpec> ExtraTrees::option_specs() {
  return {{"trees", "200", "number of trees"},
          {"max_features", "0", "candidate features per split; 0 = sqrt(features)"},
          {"min_samples_split", "2", "minimum cases in a node to split it"},
          {"max_depth", "0", "maximum depth; 0 = unlimited"}};
}

ExtraTrees::ExtraTrees(const core::ResolvedOptions& options, uint64_t seed, int threads)
    : trees_(options.integer("trees")),
      max_features_(options.integer("max_features")),
      min_samples_split_(options.integer("min_samples_split")),
      max_depth_(options.integer("max_depth")),
      seed_(seed),
      threads_(threads) {
  if (trees_ < 1 || max_features_ < 0 || min_samples_split_ < 2 || max_depth_ < 0)
    core::fail(
        "classifier 'extra_trees': trees >= 1, max_features >= 0, min_samples_split >= 2, max_depth >= 0 expected");
}

void ExtraTrees::fit(const Eigen::MatrixXd& x, const std::vector<int>& y) {
  classes_ = check_training_data(kName, x, y);
  features_ = static_cast<int>(x.cols());
  const int max_features = max_features_ > 0
                               ? static_cast<int>(std::min<long long>(max_features_, x.cols()))
                               : std::max(1, static_cast<int>(std::lround(std::sqrt(static_cast<double>(x.cols())))));
  std::vector<int> rows(x.rows());
  for (int i = 0; i < static_cast<int>(x.rows()); ++i) rows[i] = i;
  forest_.assign(trees_, {});
  core::parallel_for(static_cast<size_t>(trees_), static_cast<unsigned>(std::max(1, threads_)), [&](size_t t) {
    Builder builder{
        x, y, classes_, max_features, min_samples_split_, max_depth_, core::Rng(core::derive_seed(seed_, {51, t})), {}};
    builder.build(rows, 0);
    forest_[t] = std::move(builder.tree);
  });
}

Eigen::MatrixXd ExtraTrees::predict_proba(const Eigen::MatrixXd& x) const {
  if (forest_.empty()) core::fail("classifier 'extra_trees' is not fitted");
  if (x.cols() != features_) core::fail("classifier 'extra_trees': fitted on ", features_, " features, got ", x.cols());
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(x.rows(), classes_);
  for (const auto& tree : forest_)
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      int node = 0;
      while (tree.feature[node] >= 0)
        node = x(i, tree.feature[node]) <= tree.threshold[node] ? tree.left[node] : tree.right[node];
      for (int k = 0; k < classes_; ++k) out(i, k) += tree.leaf_probabilities[node][k];
    }
  return out / static_cast<double>(forest_.size());
}

nlohmann::json ExtraTrees::save() const {
  nlohmann::json trees = nlohmann::json::array();
  for (const auto& t : forest_)
    trees.push_back({{"feature", t.feature},
                     {"threshold", t.threshold},
                     {"left", t.left},
                     {"right", t.right},
                     {"leaf", t.leaf_probabilities}});
  return {{"learner", kName}, {"classes", classes_}, {"features", features_}, {"trees", trees}};
}

void ExtraTrees::load(const nlohmann::json& state, const StateShape& shape) {
  const auto classes = json_integer(state.at("classes"), "classes"),
             features = json_integer(state.at("features"), "features");
  require_state_shape(features, classes, shape);
  std::vector<Tree> forest;
  for (const auto& t : state.at("trees")) {
    Tree tree{json_integers<int>(t.at("feature"), "feature"), t.at("threshold").get<std::vector<double>>(),
              json_integers<int>(t.at("left"), "left"), json_integers<int>(t.at("right"), "right"),
              t.at("leaf").get<std::vector<std::vector<double>>>()};
    const auto nodes = static_cast<long long>(tree.feature.size());
    if (nodes == 0 || tree.threshold.size() != tree.feature.size() || tree.left.size() != tree.feature.size() ||
        tree.right.size() != tree.feature.size() || tree.leaf_probabilities.size() != tree.feature.size())
      core::fail("tree ", forest.size(), ": its node arrays differ in length or are empty");
    // Children come after their parent (as the builder writes them), so every walk ends at a leaf.
    for (long long node = 0; node < nodes; ++node) {
      const int f = tree.feature[node];
      const bool leaf = f < 0;
      if (f < -1 || f >= features)
        core::fail("tree ", forest.size(), " node ", node, ": feature ", f, " of ", features);
      if (!leaf &&
          !(tree.left[node] > node && tree.left[node] < nodes && tree.right[node] > node && tree.right[node] < nodes))
        core::fail("tree ", forest.size(), " node ", node, ": children ", tree.left[node], " and ", tree.right[node],
                   " outside ", node + 1, "..", nodes - 1);
      if (leaf && static_cast<long long>(tree.leaf_probabilities[node].size()) != classes)
        core::fail("tree ", forest.size(), " node ", node, ": ", tree.leaf_probabilities[node].size(),
                   " leaf probabilities for ", classes, " classes");
      require_finite("threshold", {tree.threshold[node]});
      require_finite("leaf", tree.leaf_probabilities[node]);
    }
    forest.push_back(std::move(tree));
  }
  if (forest.empty()) core::fail("no trees");
  classes_ = static_cast<int>(classes);
  features_ = static_cast<int>(features);
  forest_ = std::move(forest);
}

}  // namespace vbiopsy::fusion
