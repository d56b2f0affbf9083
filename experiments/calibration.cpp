#include "experiments/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "fusion/learners/classifier.h"
#include "fusion/json_integers.h"

namespace vbiopsy::experiments {

namespace {

constexpr double kFloor = 1e-12;  // probabilities are clipped here before logs and logits

double clipped(double p) { return std::clamp(p, kFloor, 1 - kFloor); }

ClassProbabilities normalised(ClassProbabilities p) {
  double total = 0;
  for (auto& v : p) total += v = std::max(v, kFloor);
  for (auto& v : p) v /= total;
  return p;
}

ClassProbabilities with_temperature(const ClassProbabilities& p, double temperature) {
  ClassProbabilities logits;
  double top = -INFINITY;
  for (int k = 0; k < kClasses; ++k) top = std::max(top, logits[k] = std::log(clipped(p[k])) / temperature);
  for (auto& v : logits) v = std::exp(v - top);
  return normalised(logits);
}

double cross_entropy(const Probabilities& probabilities, const std::vector<int>& labels, double temperature) {
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i)
    total -= std::log(clipped(with_temperature(probabilities[i], temperature)[labels[i]]));
  return total / static_cast<double>(labels.size());
}

// The cross-entropy is unimodal in log T: golden-section search on [1/50, 50].
double fit_temperature(const Probabilities& probabilities, const std::vector<int>& labels) {
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(0.02), hi = std::log(50.0);
  double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
  double fa = cross_entropy(probabilities, labels, std::exp(a)), fb = cross_entropy(probabilities, labels, std::exp(b));
  for (int iteration = 0; iteration < 80; ++iteration) {
    if (fa <= fb) {
      hi = b, b = a, fb = fa;
      a = hi - ratio * (hi - lo);
      fa = cross_entropy(probabilities, labels, std::exp(a));
    } else {
      lo = a, a = b, fa = fb;
      b = lo + ratio * (hi - lo);
      fb = cross_entropy(probabilities, labels, std::exp(b));
    }
  }
  return std::exp((lo + hi) / 2);
}

double logit(double p) { return std::log(clipped(p) / (1 - clipped(p))); }

// Pool adjacent violators on the (x, y) pairs: a non-decreasing fit at each distinct x.
std::vector<std::pair<double, double>> isotonic_knots(std::vector<std::pair<double, double>> points) {
  std::sort(points.begin(), points.end());
  struct Block {
    double x, sum, weight;
  };
  std::vector<Block> blocks;  // one per distinct x, then merged while they violate the order
  for (const auto& [x, y] : points) {
    if (!blocks.empty() && blocks.back().x == x) {
      blocks.back().sum += y;
      blocks.back().weight += 1;
    } else {
      blocks.push_back({x, y, 1});
    }
  }
  std::vector<std::pair<double, double>> knots;
  std::vector<Block> pooled;
  std::vector<size_t> first;  // index into blocks of each pooled block's first x
  for (size_t i = 0; i < blocks.size(); ++i) {
    pooled.push_back(blocks[i]);
    first.push_back(i);
    while (pooled.size() > 1 && pooled[pooled.size() - 2].sum / pooled[pooled.size() - 2].weight >=
                                    pooled.back().sum / pooled.back().weight) {
      pooled[pooled.size() - 2].sum += pooled.back().sum;
      pooled[pooled.size() - 2].weight += pooled.back().weight;
      pooled.pop_back();
      first.pop_back();
    }
  }
  for (size_t j = 0; j < pooled.size(); ++j) {
    const size_t end = j + 1 < pooled.size() ? first[j + 1] : blocks.size();
    for (size_t i = first[j]; i < end; ++i) knots.emplace_back(blocks[i].x, pooled[j].sum / pooled[j].weight);
  }
  return knots;
}

double interpolate(const std::vector<std::pair<double, double>>& knots, double x) {
  if (x <= knots.front().first) return knots.front().second;
  if (x >= knots.back().first) return knots.back().second;
  const auto upper =
      std::upper_bound(knots.begin(), knots.end(), std::make_pair(x, std::numeric_limits<double>::infinity()));
  const auto lower = upper - 1;
  const double t = (x - lower->first) / (upper->first - lower->first);
  return lower->second + t * (upper->second - lower->second);
}

void require_fit_data(const Probabilities& probabilities, const std::vector<int>& labels) {
  if (probabilities.size() != labels.size() || labels.empty())
    core::fail("calibration: ", probabilities.size(), " predictions for ", labels.size(),
               " labels (needs at least one case)");
}

}  // namespace

void check_calibration_method(const std::string& method) {
  if (method != "none" && method != "temperature" && method != "platt" && method != "isotonic")
    core::fail("[calibration] method = '", method, "', expected none, temperature, platt or isotonic");
}

Calibrator Calibrator::fit(const std::string& method, const Probabilities& probabilities,
                           const std::vector<int>& labels) {
  check_calibration_method(method);
  Calibrator out;
  out.method = method;
  if (method == "none") return out;
  require_fit_data(probabilities, labels);
  if (method == "temperature") {
    out.temperature = fit_temperature(probabilities, labels);
    return out;
  }
  for (int k = 0; k < kClasses; ++k) {
    std::vector<double> scores;
    std::vector<bool> positive;
    std::vector<std::pair<double, double>> points;
    for (size_t i = 0; i < labels.size(); ++i) {
      scores.push_back(logit(probabilities[i][k]));
      positive.push_back(labels[i] == k);
      points.emplace_back(probabilities[i][k], labels[i] == k ? 1.0 : 0.0);
    }
    if (method == "platt") {
      fusion::PlattScaling scaling;
      scaling.fit(scores, positive);
      out.platt[k] = {scaling.a, scaling.b};
    } else {
      out.isotonic[k] = isotonic_knots(points);
    }
  }
  return out;
}

ClassProbabilities Calibrator::apply(const ClassProbabilities& p) const {
  if (method == "none") return p;
  if (method == "temperature") return with_temperature(p, temperature);
  ClassProbabilities out;
  for (int k = 0; k < kClasses; ++k) {
    if (method == "platt") {
      out[k] = fusion::PlattScaling{platt[k].first, platt[k].second}(logit(p[k]));
    } else {
      out[k] = interpolate(isotonic[k], p[k]);
    }
  }
  return normalised(out);
}

nlohmann::json Calibrator::save() const {
  nlohmann::json state = {{"method", method}};
  if (method == "temperature") state["temperature"] = temperature;
  if (method == "platt")
    for (const auto& [a, b] : platt) state["platt"].push_back({a, b});
  if (method == "isotonic")
    for (const auto& knots : isotonic) state["isotonic"].push_back(knots);
  return state;
}

Calibrator Calibrator::load(const nlohmann::json& state) {
  Calibrator out;
  try {
    out.method = state.at("method").get<std::string>();
    check_calibration_method(out.method);
    if (out.method == "temperature") {
      out.temperature = state.at("temperature").get<double>();
      if (!(out.temperature > 0) || !std::isfinite(out.temperature))
        core::fail("temperature ", out.temperature, ", expected > 0");
    }
    if (out.method == "platt") {
      const auto pairs = state.at("platt").get<std::vector<std::array<double, 2>>>();
      if (pairs.size() != kClasses) core::fail(pairs.size(), " Platt pairs, expected ", kClasses);
      for (int k = 0; k < kClasses; ++k) {
        fusion::require_finite("platt", {pairs[k][0], pairs[k][1]});
        out.platt[k] = {pairs[k][0], pairs[k][1]};
      }
    }
    if (out.method == "isotonic") {
      const auto knots = state.at("isotonic").get<std::vector<std::vector<std::pair<double, double>>>>();
      if (knots.size() != kClasses) core::fail(knots.size(), " isotonic maps, expected ", kClasses);
      for (int k = 0; k < kClasses; ++k) {
        if (knots[k].empty()) core::fail("isotonic map ", k, " has no knots");
        for (size_t i = 0; i < knots[k].size(); ++i) {
          const auto [x, y] = knots[k][i];
          if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1) || (i > 0 && !(x > knots[k][i - 1].first)) ||
              (i > 0 && y < knots[k][i - 1].second))
            core::fail("isotonic map ", k, " knot ", i, " (", x, ", ", y, ") is not an increasing map of [0, 1]");
        }
        out.isotonic[k] = knots[k];
      }
    }
  } catch (const nlohmann::json::exception& e) {
    core::fail("calibration state: ", e.what());
  } catch (const core::Error& e) {
    core::fail("calibration state: ", e.what());
  }
  return out;
}

ConformalSets ConformalSets::fit(double alpha, const Probabilities& probabilities, const std::vector<int>& labels) {
  if (!(alpha > 0 && alpha < 1)) core::fail("conformal alpha ", alpha, ", expected a number in (0, 1)");
  require_fit_data(probabilities, labels);
  ConformalSets out;
  out.alpha = alpha;
  for (int k = 0; k < kClasses; ++k) {
    std::vector<double> scores;
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == k) scores.push_back(1 - probabilities[i][k]);
    std::sort(scores.begin(), scores.end());
    const auto n = static_cast<double>(scores.size());
    const auto rank = static_cast<size_t>(std::ceil((n + 1) * (1 - alpha) - 1e-9));
    out.calibration_cases[k] = static_cast<int>(scores.size());
    out.thresholds[k] = rank >= 1 && rank <= scores.size() ? scores[rank - 1] : 1.0;
  }
  return out;
}

ClassSet ConformalSets::set_of(const ClassProbabilities& p) const {
  ClassSet set = 0;
  for (int k = 0; k < kClasses; ++k)
    if (1 - p[k] <= thresholds[k]) set |= 1u << k;
  return set;
}

nlohmann::json ConformalSets::save() const {
  return {{"alpha", alpha}, {"thresholds", thresholds}, {"calibration_cases", calibration_cases}};
}

ConformalSets ConformalSets::load(const nlohmann::json& state) {
  ConformalSets out;
  try {
    out.alpha = state.at("alpha").get<double>();
    out.thresholds = state.at("thresholds").get<ClassProbabilities>();
    const auto cases = fusion::json_integers<int>(state.at("calibration_cases"), "calibration_cases", 0);
    if (cases.size() != kClasses)
      core::fail("conformal state: ", cases.size(), " calibration case counts, expected ", kClasses);
    std::copy(cases.begin(), cases.end(), out.calibration_cases.begin());
  } catch (const nlohmann::json::exception& e) {
    core::fail("conformal state: ", e.what());
  }
  if (!(out.alpha > 0 && out.alpha < 1))
    core::fail("conformal state: alpha ", out.alpha, ", expected a number in (0, 1)");
  for (double q : out.thresholds)
    if (!(q >= 0 && q <= 1)) core::fail("conformal state: threshold ", q, ", expected a number in [0, 1]");
  return out;
}

std::string set_text(ClassSet set) {
  std::vector<std::string> names;
  for (int k = 0; k < kClasses; ++k)
    if (set & (1u << k)) names.push_back(kClassNames[k]);
  return core::join(names, "|");
}

ClassSet parse_set_text(const std::string& text) {
  ClassSet set = 0;
  if (text.empty()) return set;
  for (const auto& name : core::split(text, '|')) {
    const auto it = std::find(kClassNames.begin(), kClassNames.end(), name);
    if (it == kClassNames.end())
      core::fail("prediction set '", text, "': '", name, "' is not a class (zero, low, positive)");
    set |= 1u << (it - kClassNames.begin());
  }
  return set;
}

int set_size(ClassSet set) { return __builtin_popcount(set); }

std::string set_description(ClassSet set) {
  std::vector<std::string> names;
  for (int k = 0; k < kClasses; ++k)
    if (set & (1u << k)) names.push_back(std::string("HER2-") + kClassNames[k]);
  return names.empty() ? "no class" : core::join(names, " or ");
}

}  // namespace vbiopsy::experiments
