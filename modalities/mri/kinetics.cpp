#include "modalities/mri/kinetics.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace vbiopsy::modalities::mri {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Area under the piecewise-linear curve (t, y) from t[0] to `until`.
double area_until(const std::vector<double>& t, const std::vector<double>& y, double until) {
  double area = 0;
  for (size_t i = 1; i < t.size() && t[i - 1] < until; ++i) {
    const double t1 = std::min(t[i], until);
    const double y1 = y[i - 1] + (y[i] - y[i - 1]) * (t1 - t[i - 1]) / (t[i] - t[i - 1]);
    area += 0.5 * (y[i - 1] + y1) * (t1 - t[i - 1]);
  }
  return area;
}

}  // namespace

CurveKinetics curve_kinetics(const std::vector<double>& s, const std::vector<double>& times) {
  CurveKinetics k{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, CurveType::kNone};
  if (!(s[0] > 0)) return k;
  std::vector<double> t(times.size()), re(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    t[i] = times[i] - times[0];
    re[i] = (s[i] - s[0]) / s[0];
  }
  const size_t n = s.size();
  size_t peak = 1;
  double sum = 0;
  for (size_t i = 1; i < n; ++i) {
    if (re[i] > re[peak]) peak = i;
    sum += re[i];
  }
  k.pe = re[peak];
  k.ttp = t[peak];
  k.me = sum / double(n - 1);
  k.ie = re[1];
  k.wash_in = re[1] / (t[1] / 60.0);
  k.ser = s[n - 1] != s[0] ? (s[1] - s[0]) / (s[n - 1] - s[0]) : kNaN;
  k.wash_out = peak < n - 1 ? (re[n - 1] - re[peak]) / ((t[n - 1] - t[peak]) / 60.0) : 0.0;
  k.auc60 = area_until(t, re, 60);
  k.auc90 = area_until(t, re, 90);
  const double late_change = s[1] != 0 ? (s[n - 1] - s[1]) / s[1] : 0;
  k.type =
      late_change > 0.10 ? CurveType::kPersistent : (late_change < -0.10 ? CurveType::kWashout : CurveType::kPlateau);
  return k;
}

KineticMaps compute_kinetics(const std::vector<core::Image>& phases, const std::vector<double>& times_s) {
  if (phases.size() < 3)
    core::fail("DCE kinetics need a pre-contrast and at least two post-contrast phases; got ", phases.size());
  if (times_s.size() != phases.size())
    core::fail("DCE kinetics: ", phases.size(), " phases but ", times_s.size(), " acquisition times");
  for (size_t i = 1; i < times_s.size(); ++i)
    if (!(times_s[i] > times_s[i - 1]))
      core::fail("DCE kinetics: acquisition times are not increasing at phase ", i + 1, " (", times_s[i], " s after ",
                 times_s[i - 1], " s)");
  for (size_t i = 1; i < phases.size(); ++i) {
    const std::string mismatch = core::describe_grid_mismatch(phases[0].geometry, phases[i].geometry);
    if (!mismatch.empty()) core::fail("DCE kinetics: phase ", i + 1, " is on another grid than phase 1: ", mismatch);
  }
  const core::Geometry& g = phases[0].geometry;
  KineticMaps maps{core::Image(g),
                   core::Image(g),
                   core::Image(g),
                   core::Image(g),
                   core::Image(g),
                   core::Image(g),
                   core::Image(g),
                   core::Image(g),
                   core::Image(g),
                   core::Mask(g),
                   0};
  std::vector<double> signal(phases.size());
  for (size_t v = 0; v < g.voxel_count(); ++v) {
    for (size_t p = 0; p < phases.size(); ++p) signal[p] = phases[p].voxels[v];
    const CurveKinetics k = curve_kinetics(signal, times_s);
    if (std::isnan(k.pe) || std::isnan(k.ser)) ++maps.undefined_voxels;
    maps.peak_enhancement.voxels[v] = float(k.pe);
    maps.time_to_peak.voxels[v] = float(k.ttp);
    maps.mean_enhancement.voxels[v] = float(k.me);
    maps.initial_enhancement.voxels[v] = float(k.ie);
    maps.wash_in.voxels[v] = float(k.wash_in);
    maps.ser.voxels[v] = float(k.ser);
    maps.wash_out.voxels[v] = float(k.wash_out);
    maps.auc60.voxels[v] = float(k.auc60);
    maps.auc90.voxels[v] = float(k.auc90);
    maps.curve_type.voxels[v] = uint8_t(k.type);
  }
  return maps;
}

KineticSummary summarise(const KineticMaps& maps, const core::Mask& mask) {
  const std::string mismatch = core::describe_grid_mismatch(maps.peak_enhancement.geometry, mask.geometry);
  if (!mismatch.empty()) core::fail("kinetic summary: the mask is not on the DCE grid: ", mismatch);
  KineticSummary summary;
  const std::pair<const char*, const core::Image*> named[] = {
      {"pe", &maps.peak_enhancement},    {"ttp", &maps.time_to_peak}, {"me", &maps.mean_enhancement},
      {"ie", &maps.initial_enhancement}, {"wash_in", &maps.wash_in},  {"ser", &maps.ser},
      {"wash_out", &maps.wash_out},      {"auc60", &maps.auc60},      {"auc90", &maps.auc90}};
  for (auto [name, map] : named) {
    double sum = 0, count = 0;
    for (size_t v = 0; v < mask.voxels.size(); ++v)
      if (mask.voxels[v] && std::isfinite(map->voxels[v])) {
        sum += map->voxels[v];
        count += 1;
      }
    summary.values.emplace_back(std::string(name) + "_mean", count > 0 ? sum / count : kNaN);
  }
  double counts[4] = {0, 0, 0, 0}, total = 0;
  for (size_t v = 0; v < mask.voxels.size(); ++v)
    if (mask.voxels[v]) {
      counts[maps.curve_type.voxels[v]] += 1;
      total += 1;
    }
  summary.values.emplace_back("curve_persistent_fraction", total > 0 ? counts[1] / total : kNaN);
  summary.values.emplace_back("curve_plateau_fraction", total > 0 ? counts[2] / total : kNaN);
  summary.values.emplace_back("curve_washout_fraction", total > 0 ? counts[3] / total : kNaN);
  return summary;
}

AdcMap fit_adc(const std::vector<core::Image>& volumes, const std::vector<double>& b) {
  if (volumes.size() < 2) core::fail("ADC needs at least two b-values; got ", volumes.size());
  if (b.size() != volumes.size()) core::fail("ADC: ", volumes.size(), " DWI volumes but ", b.size(), " b-values");
  for (size_t i = 1; i < volumes.size(); ++i) {
    const std::string mismatch = core::describe_grid_mismatch(volumes[0].geometry, volumes[i].geometry);
    if (!mismatch.empty()) core::fail("ADC: b = ", b[i], " volume is on another grid: ", mismatch);
  }
  AdcMap out{core::Image(volumes[0].geometry), 0};
  for (size_t v = 0; v < out.adc.voxels.size(); ++v) {
    double sb = 0, sy = 0, sbb = 0, sby = 0, n = 0;
    for (size_t i = 0; i < volumes.size(); ++i) {
      const double s = volumes[i].voxels[v];
      if (!(s > 0)) continue;  // no logarithm of a non-positive signal
      const double y = std::log(s);
      sb += b[i];
      sy += y;
      sbb += b[i] * b[i];
      sby += b[i] * y;
      n += 1;
    }
    const double denominator = n * sbb - sb * sb;
    if (n < 2 || denominator <= 0) {
      out.adc.voxels[v] = float(kNaN);
      ++out.undefined_voxels;
      continue;
    }
    out.adc.voxels[v] = float(-(n * sby - sb * sy) / denominator);
  }
  return out;
}

}  // namespace vbiopsy::modalities::mri
