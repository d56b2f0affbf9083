#pragma once
// Pharmacokinetic DCE analysis: the (extended) Tofts model
//   Ct(t) = vp Cp(t) + Ktrans * integral_0^t Cp(u) exp(-kep (t - u)) du,   ve = Ktrans / kep
// with Parker's population arterial input function (Parker et al., MRM 2006; blood curve divided by
// 1 - haematocrit for plasma) or a user-supplied one, from signal converted to concentration by the
// spoiled gradient echo equation under stated assumptions (pre-contrast T1, TR, flip angle,
// relaxivity). Ct is linear in Ktrans and vp for a given kep, so the fit is a search over kep (a
// log-spaced grid, then golden-section refinement) with non-negative linear least squares inside:
// deterministic, no starting values. Failed voxels are flagged and counted, never NaN silently.
#include <functional>
#include <vector>

#include "core/image.h"

namespace vbiopsy::modalities::mri {

struct AcquisitionAssumptions {
  double t10_s = 1.5;            // pre-contrast T1 of tissue (s)
  double tr_s = 0.005;           // repetition time (s)
  double flip_angle_deg = 15;    // flip angle
  double relaxivity = 4.5;       // r1 of the contrast agent (1 / (mM s))
  double injection_time_s = 30;  // bolus arrival after the pre-contrast acquisition (s)
  double haematocrit = 0.42;
};

// Parker's population AIF (blood concentration, mM) at t seconds after injection.
double parker_blood_aif(double t_s);

// Concentration (mM) from signal S with pre-contrast signal S0; NaN when the SPGR equation has no
// solution for these values (S too large for the assumed T10 and flip angle).
double signal_to_concentration(double s, double s0, const AcquisitionAssumptions& a);
double concentration_to_signal(double c, double s0, const AcquisitionAssumptions& a);

struct ToftsFit {
  double ktrans = 0, kep = 0, ve = 0, vp = 0;  // 1/min, 1/min, fraction, fraction
  double residual = 0;                         // root mean square (mM)
  bool ok = false;
};

class ToftsModel {
 public:
  // times_s: acquisition times from the pre-contrast phase; plasma AIF (mM) as a function of time
  // since the pre-contrast phase. extended: fit vp too.
  ToftsModel(std::vector<double> times_s, std::function<double(double)> plasma_aif, bool extended);
  // The model curve at the acquisition times.
  std::vector<double> curve(double ktrans_per_min, double kep_per_min, double vp) const;
  ToftsFit fit(const std::vector<double>& concentration) const;

 private:
  std::vector<double> convolved(double kep_per_min) const;  // integral term for Ktrans = 1/min
  // Least-squares Ktrans and vp (non-negative) for one kep's integral term g; returns the SSE.
  double solve(const std::vector<double>& g, const std::vector<double>& c, double& ktrans, double& vp) const;
  std::vector<double> times_;
  std::vector<double> cp_at_times_;
  std::vector<double> fine_cp_;  // plasma AIF on a 0.5 s grid up to the last time
  // Where each acquisition time falls on the fine grid: index and fraction to the next point.
  std::vector<size_t> sample_index_;
  std::vector<double> sample_fraction_;
  double step_ = 0.5;
  bool extended_;
  // The kep grid of the fit's first search and its integral terms, the same for every voxel.
  std::vector<double> kep_grid_;
  std::vector<std::vector<double>> grid_convolved_;
};

// Parker AIF as plasma concentration for the given assumptions (time from the pre-contrast phase).
std::function<double(double)> parker_plasma_aif(const AcquisitionAssumptions& a);

struct ToftsMaps {
  core::Image ktrans, kep, ve, vp;
  core::Mask failed;  // 1 where the fit or the signal conversion failed (maps hold 0 there)
  size_t failed_voxels = 0, fitted_voxels = 0;
};

// Voxel-wise fits inside the mask (outside: 0).
ToftsMaps fit_tofts_maps(const std::vector<core::Image>& phases, const std::vector<double>& times_s,
                         const core::Mask& mask, const AcquisitionAssumptions& a, bool extended);

}  // namespace vbiopsy::modalities::mri
