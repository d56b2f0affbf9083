// The grid's methods are one list derived from the registries: every registered network and
// classifier is in it with its kind and options, and an unknown name is named with the nearest one.
#include "fusion/methods.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "fusion/fusion.h"
#include "fusion/learners/classifier.h"

namespace vbiopsy::fusion {
namespace {

TEST(GridMethods, HoldEveryRegisteredNetworkAndClassifierAndTheSubmodels) {
  for (const auto& name : builtin_fusions().names()) {
    const auto& method = grid_method(name);
    EXPECT_EQ(method.kind, MethodKind::kNetwork) << name;
    EXPECT_EQ(method.options.size(), builtin_fusions().get(name).options.size() + (name == "late" ? 2 : 0)) << name;
  }
  for (const auto& name : builtin_classifiers().names())
    EXPECT_EQ(grid_method(name).kind, MethodKind::kClassifier) << name;
  EXPECT_EQ(grid_method("submodels").kind, MethodKind::kSubmodels);
  EXPECT_EQ(grid_methods().size(), builtin_fusions().names().size() + builtin_classifiers().names().size() + 1);
  std::vector<std::string> late_options;
  for (const auto& spec : grid_method("late").options) late_options.push_back(spec.name);
  EXPECT_NE(std::find(late_options.begin(), late_options.end(), "stacking_learner"), late_options.end());
  EXPECT_EQ(find_grid_method("eraly"), nullptr);
  try {
    grid_method("eraly");
    FAIL() << "an unknown method was accepted";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown fusion method 'eraly' (did you mean 'early'?)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace vbiopsy::fusion
