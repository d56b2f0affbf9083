#pragma once
// Minimal inline-SVG charts for the report: line charts on [x0,x1] x [y0,y1] and horizontal bars.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vbiopsy::experiments {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

struct Axes {
  std::string title, x_label, y_label;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  bool diagonal = false;  // the chance line of ROC and calibration plots
};

// A curve leaving y0..y1 is cut at the edge it crosses.
std::string line_chart(const Axes& axes, const std::vector<Series>& series);
// Decision-curve axes: threshold 0..1, net benefit from a third of the top below zero up to the
// highest point of any series, rounded up to a multiple of 0.15 (ticks every 0.05 step of it), so
// no curve is cut at the top and "treat none" (0) is a grid line. Curves falling below (treat all
// at high thresholds) leave through the bottom.
Axes decision_curve_axes(const std::string& title, const std::vector<Series>& series);
// One row per estimate with its interval, on a shared axis x0..x1, with a dashed vertical line at
// `reference` (NaN: none) and the value written beside each row.
struct ForestRow {
  std::string name;
  double estimate = 0, lower = 0, upper = 0;
};
std::string forest_plot(const std::string& title, const std::vector<ForestRow>& rows, double x0, double x1,
                        double reference);
std::string bar_chart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars);
std::string html_escape(const std::string& text);
// An <img> holding the PNG itself (a data URI), so the page stands alone.
std::string inline_png(const std::vector<uint8_t>& png, const std::string& alt);

}  // namespace vbiopsy::experiments
