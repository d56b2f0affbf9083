#include "fusion/learners/xgboost_model_check.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::fusion {

namespace {

using nlohmann::json;

constexpr long long kMaxNodes = 1 << 20;
constexpr long long kMaxFeatures = 1 << 24;
constexpr long long kRootParent = 2147483647;  // libxgboost's "no parent"

[[noreturn]] void refuse(const std::string& where, const std::string& problem) {
  core::fail("classifier 'xgboost': its model's ", where, ": ", problem);
}

const json& member(const json& object, const std::string& key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) refuse(where, "no '" + key + "'");
  return object.at(key);
}

// libxgboost writes its parameters as strings ("16").
long long integer_parameter(const json& object, const std::string& key, const std::string& where, long long low,
                            long long high) {
  const auto& value = member(object, key, where);
  const auto parsed = value.is_string() ? core::parse_int(value.get<std::string>()) : std::nullopt;
  if (!parsed || *parsed < low || *parsed > high)
    refuse(where + "." + key, core::concat(value.dump(), "; expected an integer in [", low, ", ", high, "]"));
  return *parsed;
}

// An array of `n` numbers (integers when `integers`), each in [low, high].
std::vector<double> numbers(const json& tree, const std::string& key, const std::string& where, long long n,
                            bool integers, double low = -HUGE_VAL, double high = HUGE_VAL) {
  const auto& array = member(tree, key, where);
  if (!array.is_array() || static_cast<long long>(array.size()) != n)
    refuse(where + "." + key, core::concat(array.is_array() ? array.size() : 0, " values; expected ", n));
  std::vector<double> out;
  out.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) {
    const auto& v = array[i];
    const bool ok = integers ? v.is_number_integer() : v.is_number();
    const double d = ok ? v.get<double>() : 0;
    if (!ok || !std::isfinite(d) || d < low || d > high)
      refuse(core::concat(where, ".", key, "[", i, "]"),
             core::concat(v.dump(), "; expected ", integers ? "an integer" : "a finite number", " in [", low, ", ",
                          high, "]"));
    out.push_back(d);
  }
  return out;
}

void check_tree(const json& tree, size_t index, long long features) {
  const std::string where = core::concat("trees[", index, "]");
  const auto& param = member(tree, "tree_param", where);
  const long long n = integer_parameter(param, "num_nodes", where + ".tree_param", 1, kMaxNodes);
  integer_parameter(param, "num_feature", where + ".tree_param", features, features);
  const long long deleted = integer_parameter(param, "num_deleted", where + ".tree_param", 0, n - 1);
  integer_parameter(param, "size_leaf_vector", where + ".tree_param", 0, 0);
  const auto& id = member(tree, "id", where);
  if (!id.is_number_integer() || id.get<long long>() != static_cast<long long>(index))
    refuse(where + ".id", core::concat(id.dump(), "; expected ", index));
  const auto left = numbers(tree, "left_children", where, n, true, -1, n - 1);
  const auto right = numbers(tree, "right_children", where, n, true, -1, n - 1);
  const auto parents = numbers(tree, "parents", where, n, true, 0, kRootParent);
  // Pruned (deleted) nodes stay in the arrays with libxgboost's marker as their split index.
  const auto split = numbers(tree, "split_indices", where, n, true, 0, kRootParent);
  numbers(tree, "split_type", where, n, true, 0, 0);  // numerical splits only: we train no categorical ones
  numbers(tree, "default_left", where, n, true, 0, 1);
  for (const char* key : {"split_conditions", "base_weights", "loss_changes", "sum_hessian"})
    numbers(tree, key, where, n, false);
  for (const char* key : {"categories", "categories_nodes", "categories_segments", "categories_sizes"}) {
    const auto& array = member(tree, key, where);
    if (!array.is_array() || !array.empty())
      refuse(where + "." + key, array.dump() + "; expected [] (no categorical splits)");
  }
  // A tree: the root has no parent; every child is a later node whose parents[] entry names its
  // parent, and no node is the child of two; a node has two children or none. Prediction follows
  // the children from the root, so those splits must name an input feature; the nodes it cannot
  // reach are the pruned ones.
  if (parents[0] != kRootParent)
    refuse(where + ".parents[0]", core::concat(parents[0], "; expected ", kRootParent, " (the root)"));
  std::vector<char> reached(static_cast<size_t>(n), 0);
  reached[0] = 1;
  for (long long i = 0; i < n; ++i) {
    if ((left[i] < 0) != (right[i] < 0))
      refuse(core::concat(where, " node ", i),
             core::concat("children ", left[i], " and ", right[i], "; expected two or none"));
    if (!reached[static_cast<size_t>(i)] || left[i] < 0) continue;
    if (split[i] >= static_cast<double>(features))
      refuse(core::concat(where, ".split_indices[", i, "]"),
             core::concat(split[i], "; expected a feature in [0, ", features - 1, "]"));
    for (double child : {left[i], right[i]}) {
      const auto c = static_cast<size_t>(child);
      if (child <= static_cast<double>(i) || reached[c] || parents[c] != static_cast<double>(i))
        refuse(core::concat(where, " node ", i), core::concat("child ", c, " is not a later node whose parent is ", i));
      reached[c] = 1;
    }
  }
  const auto unreached = std::count(reached.begin(), reached.end(), 0);
  if (unreached != deleted)
    refuse(where,
           core::concat(unreached, " nodes cannot be reached from the root; tree_param.num_deleted says ", deleted));
}

}  // namespace

void check_xgboost_model(const std::string& model, long long classes) {
  json document;
  try {
    document = json::parse(model);
  } catch (const json::exception& e) {
    core::fail("classifier 'xgboost': its model is not valid JSON: ", e.what());
  }
  const auto& learner = member(document, "learner", "document");
  const auto& parameters = member(learner, "learner_model_param", "learner");
  const long long features =
      integer_parameter(parameters, "num_feature", "learner.learner_model_param", 1, kMaxFeatures);
  const long long expected_classes = classes == 2 ? 0 : classes;  // a binary model has one margin
  const long long model_classes =
      integer_parameter(parameters, "num_class", "learner.learner_model_param", expected_classes, expected_classes);
  const auto& booster = member(learner, "gradient_booster", "learner");
  const auto& name = member(booster, "name", "learner.gradient_booster");
  if (name != "gbtree") refuse("learner.gradient_booster.name", name.dump() + "; expected \"gbtree\"");
  const auto& trees_model = member(booster, "model", "learner.gradient_booster");
  const auto& trees = member(trees_model, "trees", "gradient_booster.model");
  if (!trees.is_array()) refuse("gradient_booster.model.trees", "not an array");
  const long long count = static_cast<long long>(trees.size());
  integer_parameter(member(trees_model, "gbtree_model_param", "gradient_booster.model"), "num_trees",
                    "gbtree_model_param", count, count);
  numbers(trees_model, "tree_info", "gradient_booster.model", count, true, 0,
          static_cast<double>(std::max(1LL, model_classes) - 1));
  for (size_t t = 0; t < trees.size(); ++t) check_tree(trees[t], t, features);
}

}  // namespace vbiopsy::fusion
