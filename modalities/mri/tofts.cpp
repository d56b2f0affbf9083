#include "modalities/mri/tofts.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace vbiopsy::modalities::mri {

double parker_blood_aif(double t_s) {
  if (t_s < 0) return 0;
  const double t = t_s / 60.0;  // the published parameters are in minutes
  constexpr double a1 = 0.809, a2 = 0.330, t1 = 0.17046, t2 = 0.365, s1 = 0.0563, s2 = 0.132;
  constexpr double alpha = 1.050, beta = 0.1685, s = 38.078, tau = 0.483;
  const double g1 = a1 / (s1 * std::sqrt(2 * M_PI)) * std::exp(-(t - t1) * (t - t1) / (2 * s1 * s1));
  const double g2 = a2 / (s2 * std::sqrt(2 * M_PI)) * std::exp(-(t - t2) * (t - t2) / (2 * s2 * s2));
  return g1 + g2 + alpha * std::exp(-beta * t) / (1 + std::exp(-s * (t - tau)));
}

std::function<double(double)> parker_plasma_aif(const AcquisitionAssumptions& a) {
  return [a](double t) { return parker_blood_aif(t - a.injection_time_s) / (1 - a.haematocrit); };
}

double signal_to_concentration(double s, double s0, const AcquisitionAssumptions& a) {
  const double alpha = a.flip_angle_deg * M_PI / 180;
  const double e10 = std::exp(-a.tr_s / a.t10_s);
  const double m0 = s0 * (1 - std::cos(alpha) * e10) / (std::sin(alpha) * (1 - e10));
  const double q = s / (m0 * std::sin(alpha));
  const double e1 = (1 - q) / (1 - q * std::cos(alpha));
  if (!(s0 > 0) || !(e1 > 0) || !(e1 < 1)) return std::numeric_limits<double>::quiet_NaN();
  const double r1 = -std::log(e1) / a.tr_s;
  return (r1 - 1 / a.t10_s) / a.relaxivity;
}

double concentration_to_signal(double c, double s0, const AcquisitionAssumptions& a) {
  const double alpha = a.flip_angle_deg * M_PI / 180;
  const double e10 = std::exp(-a.tr_s / a.t10_s);
  const double m0 = s0 * (1 - std::cos(alpha) * e10) / (std::sin(alpha) * (1 - e10));
  const double e1 = std::exp(-a.tr_s * (1 / a.t10_s + a.relaxivity * c));
  return m0 * std::sin(alpha) * (1 - e1) / (1 - std::cos(alpha) * e1);
}

ToftsModel::ToftsModel(std::vector<double> times_s, std::function<double(double)> aif, bool extended)
    : times_(std::move(times_s)), extended_(extended) {
  if (times_.size() < 3) core::fail("Tofts fit needs at least 3 time points; got ", times_.size());
  for (size_t i = 1; i < times_.size(); ++i)
    if (!(times_[i] > times_[i - 1])) core::fail("Tofts fit: times are not increasing at point ", i + 1);
  for (double t : times_) cp_at_times_.push_back(aif(t));
  const size_t n = size_t(std::ceil((times_.back() - times_.front()) / step_)) + 1;
  for (size_t k = 0; k < n; ++k) fine_cp_.push_back(aif(times_.front() + double(k) * step_));
  for (double t : times_) {
    const double position = (t - times_.front()) / step_;
    const size_t i = std::min(size_t(position), n - 1);
    sample_index_.push_back(i);
    sample_fraction_.push_back(position - double(i));
  }
  for (int i = 0; i <= 60; ++i) kep_grid_.push_back(0.005 * std::pow(10.0, 4.0 * i / 60.0));  // 0.005 - 50 /min
  for (double kep : kep_grid_) grid_convolved_.push_back(convolved(kep));
}

std::vector<double> ToftsModel::convolved(double kep_per_min) const {
  // Exact recursion for a piecewise-linear Cp on the fine grid: I(t+h) = I(t) e^{-k h} + the
  // integral over [t, t+h] of the linear Cp times e^{-k (t+h-u)}. Only the values around the
  // acquisition times are kept (the last two of the recursion), not the whole fine curve.
  const double k = kep_per_min / 60.0, h = step_;
  const double e = std::exp(-k * h);
  double w0, w1;  // weights of Cp(t) and Cp(t+h)
  if (k * h < 1e-8) {
    w0 = w1 = h / 2;
  } else {
    w1 = (k * h - 1 + e) / (k * k * h);
    w0 = (1 - e) / k - w1;
  }
  const size_t n = fine_cp_.size();
  size_t m = 0;                    // the recursion is at fine point m
  double value = 0, previous = 0;  // I at points m and m - 1
  auto at = [&](size_t i) {        // I at fine point i >= m - 1
    while (m < i) {
      previous = value;
      value = value * e + w0 * fine_cp_[m] + w1 * fine_cp_[m + 1];
      ++m;
    }
    return i == m ? value : previous;
  };
  std::vector<double> out;
  out.reserve(times_.size());
  for (size_t j = 0; j < times_.size(); ++j) {
    const size_t i = sample_index_[j];
    const double frac = sample_fraction_[j];
    const double here = at(i);
    out.push_back(i + 1 < n ? here * (1 - frac) + at(i + 1) * frac : here);
  }
  for (auto& v : out) v /= 60.0;  // Ktrans is per minute, the integral is over seconds
  return out;
}

std::vector<double> ToftsModel::curve(double ktrans, double kep, double vp) const {
  auto g = convolved(kep);
  for (size_t i = 0; i < g.size(); ++i) g[i] = ktrans * g[i] + (extended_ ? vp * cp_at_times_[i] : 0);
  return g;
}

double ToftsModel::solve(const std::vector<double>& g, const std::vector<double>& c, double& ktrans, double& vp) const {
  // Non-negative least squares of c = Ktrans g + vp cp (2 unknowns, checked on the boundaries
  // when the free solution is negative).
  auto sse_of = [&](double kt, double v) {
    double e = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      const double r = c[i] - kt * g[i] - (extended_ ? v * cp_at_times_[i] : 0);
      e += r * r;
    }
    return e;
  };
  double gg = 0, gp = 0, pp = 0, gc = 0, pc = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    gg += g[i] * g[i];
    gp += g[i] * cp_at_times_[i];
    pp += cp_at_times_[i] * cp_at_times_[i];
    gc += g[i] * c[i];
    pc += cp_at_times_[i] * c[i];
  }
  std::pair<double, double> candidates[4] = {{0, 0}};
  size_t count = 1;
  if (gg > 0) candidates[count++] = {std::max(0.0, gc / gg), 0};
  if (extended_ && pp > 0) candidates[count++] = {0, std::max(0.0, pc / pp)};
  const double det = gg * pp - gp * gp;
  if (extended_ && std::abs(det) > 1e-30) {
    const double kt = (gc * pp - pc * gp) / det, v = (pc * gg - gc * gp) / det;
    if (kt >= 0 && v >= 0) candidates[count++] = {kt, v};
  }
  double best = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < count; ++k) {
    const auto [kt, v] = candidates[k];
    const double e = sse_of(kt, v);
    if (e < best) best = e, ktrans = kt, vp = v;
  }
  return best;
}

ToftsFit ToftsModel::fit(const std::vector<double>& c) const {
  if (c.size() != times_.size()) core::fail("Tofts fit: ", c.size(), " concentrations for ", times_.size(), " times");
  for (double v : c)
    if (!std::isfinite(v)) return {};
  auto solve_at = [&](double kep, double& ktrans, double& vp) { return solve(convolved(kep), c, ktrans, vp); };
  double best_sse = std::numeric_limits<double>::infinity(), best_kep = 0.01;
  double kt = 0, v = 0;
  size_t best_index = 0;
  for (size_t i = 0; i < kep_grid_.size(); ++i) {
    const double e = solve(grid_convolved_[i], c, kt, v);
    if (e < best_sse) best_sse = e, best_kep = kep_grid_[i], best_index = i;
  }
  const auto& grid = kep_grid_;
  // Golden-section refinement of log(kep) between the grid neighbours.
  double lo = std::log(grid[best_index > 0 ? best_index - 1 : 0]),
         hi = std::log(grid[std::min(best_index + 1, grid.size() - 1)]);
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo);
  double f1 = solve_at(std::exp(x1), kt, v), f2 = solve_at(std::exp(x2), kt, v);
  for (int it = 0; it < 40; ++it) {
    if (f1 < f2) {
      hi = x2, x2 = x1, f2 = f1;
      x1 = hi - ratio * (hi - lo);
      f1 = solve_at(std::exp(x1), kt, v);
    } else {
      lo = x1, x1 = x2, f1 = f2;
      x2 = lo + ratio * (hi - lo);
      f2 = solve_at(std::exp(x2), kt, v);
    }
  }
  const double refined = std::exp(f1 < f2 ? x1 : x2);
  ToftsFit fit;
  const double sse = solve_at(refined, fit.ktrans, fit.vp);
  fit.kep = refined;
  if (best_sse < sse) {  // the grid point was better (flat valley): keep it
    solve_at(best_kep, fit.ktrans, fit.vp);
    fit.kep = best_kep;
  }
  fit.ve = fit.kep > 0 ? fit.ktrans / fit.kep : 0;
  fit.residual = std::sqrt(std::min(sse, best_sse) / double(c.size()));
  fit.ok = std::isfinite(fit.ktrans) && std::isfinite(fit.kep) && std::isfinite(fit.vp) && std::isfinite(fit.ve);
  if (!fit.ok) return {};
  return fit;
}

ToftsMaps fit_tofts_maps(const std::vector<core::Image>& phases, const std::vector<double>& times_s,
                         const core::Mask& mask, const AcquisitionAssumptions& a, bool extended) {
  if (phases.size() != times_s.size())
    core::fail("Tofts maps: ", phases.size(), " phases but ", times_s.size(), " times");
  const core::Geometry& g = phases.front().geometry;
  const std::string mismatch = core::describe_grid_mismatch(g, mask.geometry);
  if (!mismatch.empty()) core::fail("Tofts maps: the mask is not on the DCE grid: ", mismatch);
  ToftsMaps maps{core::Image(g), core::Image(g), core::Image(g), core::Image(g), core::Mask(g), 0, 0};
  const ToftsModel model(times_s, parker_plasma_aif(a), extended);
  std::vector<double> c(phases.size());
  for (size_t v = 0; v < g.voxel_count(); ++v) {
    if (!mask.voxels[v]) continue;
    for (size_t p = 0; p < phases.size(); ++p)
      c[p] = signal_to_concentration(phases[p].voxels[v], phases[0].voxels[v], a);
    const ToftsFit fit = model.fit(c);
    if (!fit.ok) {
      maps.failed.voxels[v] = 1;
      ++maps.failed_voxels;
      continue;
    }
    ++maps.fitted_voxels;
    maps.ktrans.voxels[v] = float(fit.ktrans);
    maps.kep.voxels[v] = float(fit.kep);
    maps.ve.voxels[v] = float(fit.ve);
    maps.vp.voxels[v] = float(fit.vp);
  }
  return maps;
}

}  // namespace vbiopsy::modalities::mri
