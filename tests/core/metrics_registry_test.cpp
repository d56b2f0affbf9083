#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/registry.h"

namespace vbiopsy::core {
namespace {

TEST(RocAuc, CountsTiesAsOneHalfLikeMannWhitney) {
  // Positives {0.8, 0.5, 0.5}, negatives {0.5, 0.2}: pairs won 1+1, tied 1+1... computed by hand:
  // 0.8 beats both (2); each 0.5 positive ties the 0.5 negative (0.5) and beats 0.2 (1) -> 1.5 each.
  // AUC = (2 + 1.5 + 1.5) / 6 = 5/6.
  const double auc = roc_auc({0.8, 0.5, 0.5, 0.5, 0.2}, {true, true, true, false, false});
  EXPECT_NEAR(auc, 5.0 / 6.0, 1e-15);
}

TEST(RocAuc, IsOneHalfWhenEveryScoreIsTiedAndNaNWithoutNegatives) {
  EXPECT_DOUBLE_EQ(roc_auc({1, 1, 1, 1}, {true, false, true, false}), 0.5);
  EXPECT_TRUE(std::isnan(roc_auc({0.1, 0.2}, {true, true})));
}

TEST(MacroAuc, AveragesOneVsRestAucsOverClassesPresent) {
  // Perfect ranking for every class -> 1; a scrambled table is checked class by class.
  const std::vector<double> p = {0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8};
  EXPECT_DOUBLE_EQ(macro_auc(p, {0, 1, 2}, 3), 1.0);
  const std::vector<double> q = {0.1, 0.1, 0.8, 0.5, 0.8, 0.1, 0.8, 0.1, 0.1};
  // class 0: 0.1 vs {0.5, 0.8} -> 0; class 1: 0.8 vs {0.1, 0.1} -> 1; class 2: 0.1 vs {0.8, 0.1} -> 0.25.
  EXPECT_NEAR(macro_auc(q, {0, 1, 2}, 3), (0.0 + 1.0 + 0.25) / 3.0, 1e-12);
  EXPECT_THROW(macro_auc(p, {0, 1}, 3), Error);
}

TEST(Registry, UnknownNamesAndOptionsListWhatIsKnown) {
  Registry<int> registry("widget");
  registry.add({"round", "a round widget", {{"size", "3", "diameter"}}, 1});
  registry.add({"square", "a square widget", {}, 2});
  EXPECT_THROW(registry.add({"round", "again", {}, 3}), Error);
  try {
    registry.get("triangle");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("round, square"), std::string::npos) << e.what();
  }
  try {
    registry.resolve("round", {{"colour", "red"}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'colour'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("size"), std::string::npos) << e.what();
  }
  const auto options = registry.resolve("round", {});
  EXPECT_EQ(options.integer("size"), 3);
  EXPECT_EQ(registry.resolve("round", {{"size", "7"}}).integer("size"), 7);
  EXPECT_THROW(registry.resolve("round", {{"size", "big"}}).integer("size"), Error);
}

TEST(ResolvedOptions, ParsesFlagsAndRejectsOtherWords) {
  const ResolvedOptions options("thing", {{"on", "yes", ""}, {"off", "0", ""}, {"odd", "maybe", ""}}, {});
  EXPECT_TRUE(options.flag("on"));
  EXPECT_FALSE(options.flag("off"));
  EXPECT_THROW(options.flag("odd"), Error);
}

}  // namespace
}  // namespace vbiopsy::core
