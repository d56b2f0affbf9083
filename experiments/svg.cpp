#include "experiments/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vbiopsy::experiments {

namespace {

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr double kWidth = 360, kHeight = 300, kLeft = 48, kRight = 12, kTop = 28, kBottom = 40;

std::string fixed(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

// The parts of a polyline inside y0..y1: a curve leaving the plot is cut where it crosses the
// edge, not flattened along it (a flat run along the edge would read as a value).
std::vector<std::vector<std::pair<double, double>>> inside(const std::vector<std::pair<double, double>>& points,
                                                           double y0, double y1) {
  using Point = std::pair<double, double>;
  std::vector<std::vector<Point>> parts;
  std::vector<Point> current;
  auto flush = [&] {
    if (current.size() > 1) parts.push_back(current);
    current.clear();
  };
  for (size_t i = 1; i < points.size(); ++i) {
    const Point q = points[i - 1], p = points[i];
    if (!std::isfinite(q.first) || !std::isfinite(q.second) || !std::isfinite(p.first) || !std::isfinite(p.second)) {
      flush();
      continue;
    }
    // The part t in [ta, tb] of the step q -> p whose y lies in y0..y1.
    double ta = 0, tb = 1;
    const double dy = p.second - q.second;
    if (dy == 0) {
      if (q.second < y0 || q.second > y1) ta = 2;
    } else {
      const double t0 = (y0 - q.second) / dy, t1 = (y1 - q.second) / dy;
      ta = std::max(0.0, std::min(t0, t1));
      tb = std::min(1.0, std::max(t0, t1));
    }
    if (ta > tb) {
      flush();
      continue;
    }
    auto at = [&](double t) {
      return t == 0 ? q : t == 1 ? p : Point{q.first + t * (p.first - q.first), q.second + t * dy};
    };
    if (current.empty()) current.push_back(at(ta));
    current.push_back(at(tb));
    if (tb < 1) flush();
  }
  flush();
  return parts;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string line_chart(const Axes& axes, const std::vector<Series>& series) {
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto sx = [&](double x) { return kLeft + (x - axes.x0) / (axes.x1 - axes.x0) * plot_w; };
  auto sy = [&](double y) { return kTop + (1 - (y - axes.y0) / (axes.y1 - axes.y0)) * plot_h; };
  std::string svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed(kWidth + 170) +
                    "\" height=\"" + fixed(kHeight) + "\" role=\"img\" aria-label=\"" + html_escape(axes.title) + "\">";
  svg += "<text x=\"" + fixed(kLeft) + "\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" + html_escape(axes.title) +
         "</text>";
  svg += "<rect x=\"" + fixed(kLeft) + "\" y=\"" + fixed(kTop) + "\" width=\"" + fixed(plot_w) + "\" height=\"" +
         fixed(plot_h) + "\" fill=\"none\" stroke=\"#999\"/>";
  for (int t = 0; t <= 4; ++t) {
    const double x = axes.x0 + (axes.x1 - axes.x0) * t / 4, tick = axes.y0 + (axes.y1 - axes.y0) * t / 4;
    const double y = std::abs(tick) < 1e-12 * (axes.y1 - axes.y0) ? 0 : tick;  // 0, not 2.8e-17
    svg += "<text x=\"" + fixed(sx(x)) + "\" y=\"" + fixed(kTop + plot_h + 14) +
           "\" font-size=\"10\" text-anchor=\"middle\">" + number(x) + "</text>";
    svg += "<text x=\"" + fixed(kLeft - 4) + "\" y=\"" + fixed(sy(y) + 3) + "\" font-size=\"10\" text-anchor=\"end\">" +
           number(y) + "</text>";
  }
  svg += "<text x=\"" + fixed(kLeft + plot_w / 2) + "\" y=\"" + fixed(kHeight - 6) +
         "\" font-size=\"11\" text-anchor=\"middle\">" + html_escape(axes.x_label) + "</text>";
  svg += "<text transform=\"translate(12," + fixed(kTop + plot_h / 2) +
         ") rotate(-90)\" font-size=\"11\" text-anchor=\"middle\">" + html_escape(axes.y_label) + "</text>";
  if (axes.diagonal)
    svg += "<line x1=\"" + fixed(sx(axes.x0)) + "\" y1=\"" + fixed(sy(axes.y0)) + "\" x2=\"" + fixed(sx(axes.x1)) +
           "\" y2=\"" + fixed(sy(axes.y1)) + "\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>";
  for (size_t s = 0; s < series.size(); ++s) {
    const char* colour = kColours[s % (sizeof kColours / sizeof *kColours)];
    for (const auto& part : inside(series[s].points, axes.y0, axes.y1)) {
      std::string points;
      for (const auto& [x, y] : part) points += fixed(sx(x)) + "," + fixed(sy(y)) + " ";
      svg += "<polyline class=\"series\" fill=\"none\" stroke=\"" + std::string(colour) +
             "\" stroke-width=\"1.6\" points=\"" + points + "\"/>";
    }
    svg += "<text x=\"" + fixed(kWidth + 4) + "\" y=\"" + fixed(kTop + 12 + 14.0 * s) + "\" font-size=\"10\" fill=\"" +
           colour + "\">" + html_escape(series[s].name) + "</text>";
  }
  return svg + "</svg>";
}

Axes decision_curve_axes(const std::string& title, const std::vector<Series>& series) {
  double top = 0;
  for (const auto& s : series)
    for (const auto& [x, y] : s.points)
      if (std::isfinite(y)) top = std::max(top, y);
  const double y1 = std::max(0.15, 0.15 * std::ceil(top / 0.15 - 1e-9));
  return {title, "threshold probability", "net benefit", 0, 1, -y1 / 3, y1, false};
}

std::string forest_plot(const std::string& title, const std::vector<ForestRow>& rows, double x0, double x1,
                        double reference) {
  const double row = 16, label = 200, width = 300, top = 30, value = 130;
  const double height = top + row * static_cast<double>(rows.size()) + 24;
  auto sx = [&](double x) { return label + (std::clamp(x, x0, x1) - x0) / (x1 - x0) * width; };
  std::string svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    fixed(label + width + value) + "\" height=\"" + fixed(height) + "\" role=\"img\" aria-label=\"" +
                    html_escape(title) + "\">";
  svg += "<text x=\"0\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" + html_escape(title) + "</text>";
  const double bottom = top + row * static_cast<double>(rows.size());
  for (int t = 0; t <= 4; ++t) {
    const double x = x0 + (x1 - x0) * t / 4;
    svg += "<line x1=\"" + fixed(sx(x)) + "\" y1=\"" + fixed(top - 4) + "\" x2=\"" + fixed(sx(x)) + "\" y2=\"" +
           fixed(bottom) + "\" stroke=\"#eee\"/><text x=\"" + fixed(sx(x)) + "\" y=\"" + fixed(bottom + 14) +
           "\" font-size=\"10\" text-anchor=\"middle\">" + number(x) + "</text>";
  }
  if (std::isfinite(reference))
    svg += "<line x1=\"" + fixed(sx(reference)) + "\" y1=\"" + fixed(top - 4) + "\" x2=\"" + fixed(sx(reference)) +
           "\" y2=\"" + fixed(bottom) + "\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double y = top + row * (static_cast<double>(i) + 0.5);
    svg += "<text x=\"" + fixed(label - 6) + "\" y=\"" + fixed(y + 4) + "\" font-size=\"11\" text-anchor=\"end\">" +
           html_escape(r.name) + "</text>";
    if (!std::isfinite(r.estimate)) continue;
    if (std::isfinite(r.lower) && std::isfinite(r.upper))
      svg += "<line x1=\"" + fixed(sx(r.lower)) + "\" y1=\"" + fixed(y) + "\" x2=\"" + fixed(sx(r.upper)) + "\" y2=\"" +
             fixed(y) + "\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>";
    svg += "<rect x=\"" + fixed(sx(r.estimate) - 3) + "\" y=\"" + fixed(y - 3) +
           "\" width=\"6\" height=\"6\" fill=\"#1f77b4\"/>";
    char text[96];
    std::snprintf(text, sizeof text, "%.3f (%.3f-%.3f)", r.estimate, r.lower, r.upper);
    svg +=
        "<text x=\"" + fixed(label + width + 6) + "\" y=\"" + fixed(y + 4) + "\" font-size=\"10\">" + text + "</text>";
  }
  return svg + "</svg>";
}

std::string bar_chart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars) {
  double largest = 1e-9;
  bool negative = false;
  for (const auto& [name, v] : bars) {
    largest = std::max(largest, std::abs(v));
    negative = negative || v < 0;
  }
  // With negative values the bars diverge from a zero axis in the middle: negative ones go left.
  const double row = 20, label = 170, width = 260, axis = negative ? label + width / 2 : label,
               scale = (negative ? width / 2 : width) / largest;
  std::string svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed(label + width + 70) +
                    "\" height=\"" + fixed(30 + row * static_cast<double>(bars.size())) +
                    "\" role=\"img\" aria-label=\"" + html_escape(title) + "\">";
  svg += "<text x=\"0\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" + html_escape(title) + "</text>";
  if (negative)
    svg += "<line x1=\"" + fixed(axis) + "\" y1=\"22\" x2=\"" + fixed(axis) + "\" y2=\"" +
           fixed(26 + row * static_cast<double>(bars.size())) + "\" stroke=\"#888\"/>";
  for (size_t i = 0; i < bars.size(); ++i) {
    const double v = bars[i].second, y = 26 + row * static_cast<double>(i), w = std::abs(v) * scale,
                 x = v >= 0 ? axis : axis - w;
    svg += "<text x=\"" + fixed(label - 6) + "\" y=\"" + fixed(y + 12) + "\" font-size=\"11\" text-anchor=\"end\">" +
           html_escape(bars[i].first) + "</text>";
    svg += "<rect class=\"series\" x=\"" + fixed(x) + "\" y=\"" + fixed(y) + "\" width=\"" + fixed(w) + "\" height=\"" +
           fixed(row - 6) + "\" fill=\"" + (v >= 0 ? "#1f77b4" : "#d62728") + "\"/>";
    svg += "<text x=\"" + fixed(v >= 0 ? axis + w + 4 : axis + 4) + "\" y=\"" + fixed(y + 12) + "\" font-size=\"10\">" +
           number(v) + "</text>";
  }
  return svg + "</svg>";
}

std::string inline_png(const std::vector<uint8_t>& png, const std::string& alt) {
  static const char* kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve((png.size() + 2) / 3 * 4);
  for (size_t i = 0; i < png.size(); i += 3) {
    const uint32_t n = (uint32_t(png[i]) << 16) | (i + 1 < png.size() ? uint32_t(png[i + 1]) << 8 : 0) |
                       (i + 2 < png.size() ? png[i + 2] : 0);
    encoded += kDigits[(n >> 18) & 63];
    encoded += kDigits[(n >> 12) & 63];
    encoded += i + 1 < png.size() ? kDigits[(n >> 6) & 63] : '=';
    encoded += i + 2 < png.size() ? kDigits[n & 63] : '=';
  }
  return "<img alt=\"" + html_escape(alt) + "\" src=\"data:image/png;base64," + encoded + "\">";
}

}  // namespace vbiopsy::experiments
