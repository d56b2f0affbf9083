#include "datasets/her2.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace vbiopsy::datasets {
namespace {

TEST(Her2Label, FollowsAscoCapForEveryIhcAndIshCombination) {
  using I = IhcScore;
  using S = IshResult;
  struct Row {
    I ihc;
    S ish;
    std::optional<Her2Class> expected;
  };
  const Row rows[] = {
      {I::kZero, S::kNotDone, Her2Class::kZero},
      {I::kZero, S::kNotAmplified, Her2Class::kZero},
      {I::kZero, S::kAmplified, Her2Class::kPositive},
      {I::kOnePlus, S::kNotDone, Her2Class::kLow},
      {I::kOnePlus, S::kNotAmplified, Her2Class::kLow},
      {I::kOnePlus, S::kAmplified, Her2Class::kPositive},
      {I::kTwoPlus, S::kNotDone, std::nullopt},  // indeterminate
      {I::kTwoPlus, S::kNotAmplified, Her2Class::kLow},
      {I::kTwoPlus, S::kAmplified, Her2Class::kPositive},
      {I::kThreePlus, S::kNotDone, Her2Class::kPositive},
      {I::kThreePlus, S::kNotAmplified, Her2Class::kPositive},
      {I::kThreePlus, S::kAmplified, Her2Class::kPositive},
  };
  for (const auto& r : rows) {
    Her2Label label = derive_her2(r.ihc, r.ish);
    EXPECT_EQ(label.her2, r.expected) << "IHC " << to_string(r.ihc) << ", ISH " << to_string(r.ish);
    EXPECT_EQ(label.ihc, r.ihc);  // provenance kept
    EXPECT_EQ(label.ish, r.ish);
  }
}

TEST(Her2Spelling, ReadsTheSpellingsHospitalsUse) {
  EXPECT_EQ(parse_ihc("3+").ihc, IhcScore::kThreePlus);
  EXPECT_EQ(parse_ihc("IHC 1+").ihc, IhcScore::kOnePlus);
  EXPECT_EQ(parse_ihc("0").ihc, IhcScore::kZero);
  auto combined = parse_ihc("2+/FISH-");
  EXPECT_EQ(combined.ihc, IhcScore::kTwoPlus);
  EXPECT_EQ(combined.ish, IshResult::kNotAmplified);
  EXPECT_EQ(parse_ihc("2+ (SISH amplified)").ish, IshResult::kAmplified);
  EXPECT_EQ(parse_ihc("2+ ish+").ish, IshResult::kAmplified);
  EXPECT_EQ(parse_ish("Positive"), IshResult::kAmplified);
  EXPECT_EQ(parse_ish("pos"), IshResult::kAmplified);
  EXPECT_EQ(parse_ish("1"), IshResult::kAmplified);
  EXPECT_EQ(parse_ish("not amplified"), IshResult::kNotAmplified);
  EXPECT_EQ(parse_ish("neg"), IshResult::kNotAmplified);
  EXPECT_EQ(parse_ish(""), IshResult::kNotDone);
  EXPECT_EQ(parse_ish("N/A"), IshResult::kNotDone);
}

TEST(Her2Spelling, RejectsUnknownSpellingsNamingTheValue) {
  for (const char* bad : {"4+", "strong", "21", "2+/maybe", ""}) {
    try {
      parse_ihc(bad);
      FAIL() << "accepted '" << bad << "'";
    } catch (const core::Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_ish("equivocal"), core::Error);
}

}  // namespace
}  // namespace vbiopsy::datasets
