#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "experiments/svg.h"

namespace vbiopsy::experiments {
namespace {

// The y coordinates of every polyline point, per polyline.
std::vector<std::vector<double>> polyline_ys(const std::string& svg) {
  std::vector<std::vector<double>> out;
  const std::regex polyline("points=\"([^\"]*)\""), point("([-0-9.]+),([-0-9.]+)");
  for (auto p = std::sregex_iterator(svg.begin(), svg.end(), polyline); p != std::sregex_iterator(); ++p) {
    out.emplace_back();
    const std::string points = (*p)[1];
    for (auto q = std::sregex_iterator(points.begin(), points.end(), point); q != std::sregex_iterator(); ++q)
      out.back().push_back(std::stod((*q)[2]));
  }
  return out;
}

// A model whose net benefit reaches 0.84 (as the zero-vs-at-least-low endpoint does on the demo)
// is not cut at the top; "treat all", which falls to -12 at a threshold of 0.95, leaves through
// the bottom edge instead of running flat along it; 0 is a tick.
TEST(Charts, DecisionCurvesHoldEveryCurveAndCutWhatFallsBelow) {
  Series model{"model", {}}, all{"treat all", {}}, none{"treat none", {}};
  const double prevalence = 0.85;
  for (int t = 1; t < 20; ++t) {
    const double threshold = t * 0.05;
    model.points.emplace_back(threshold, 0.84 - 0.5 * threshold * threshold);
    all.points.emplace_back(threshold, prevalence - (1 - prevalence) * threshold / (1 - threshold) * 80);
    none.points.emplace_back(threshold, 0.0);
  }
  const auto axes = decision_curve_axes("zero_vs_atleastlow", {model, all, none});
  EXPECT_GE(axes.y1, 0.84);
  EXPECT_LT(axes.y1, 0.84 + 0.15);
  EXPECT_LT(axes.y0, 0);
  const auto svg = line_chart(axes, {model, all, none});
  EXPECT_NE(svg.find(">0</text>"), std::string::npos);
  const double top = 28, bottom = 260;  // the plot area of line_chart
  const auto ys = polyline_ys(svg);
  ASSERT_EQ(ys.size(), 3u);
  for (const auto& line : ys)
    for (double y : line) {
      EXPECT_GE(y, top);
      EXPECT_LE(y, bottom);
    }
  EXPECT_EQ(ys[0].size(), 19u);                                   // the model's curve is whole
  EXPECT_GT(*std::min_element(ys[0].begin(), ys[0].end()), top);  // and below the top edge
  EXPECT_LT(ys[1].size(), 19u);                                   // treat all is cut
  EXPECT_DOUBLE_EQ(ys[1].back(), bottom);                         // where it crosses the bottom edge
  EXPECT_EQ(std::count(ys[1].begin(), ys[1].end(), bottom), 1);   // once, not along it
}

// A curve that leaves the plot and comes back is drawn as two pieces.
TEST(Charts, ACurveLeavingAndReenteringIsDrawnInPieces) {
  const Series dip{"dip", {{0, 0.5}, {0.25, 0.5}, {0.5, -2}, {0.75, 0.5}, {1, 0.5}}};
  const auto ys = polyline_ys(line_chart({"dip", "x", "y", 0, 1, 0, 1, false}, {dip}));
  ASSERT_EQ(ys.size(), 2u);
  EXPECT_EQ(ys[0].size(), 3u);
  EXPECT_EQ(ys[1].size(), 3u);
}

}  // namespace
}  // namespace vbiopsy::experiments
