#pragma once
// Semi-quantitative DCE kinetics, voxel by voxel, from the pre-contrast phase S0 and the
// post-contrast phases S(t):
//   relative enhancement RE(t) = (S(t) - S0) / S0
//   peak enhancement PE = max RE, time to peak TTP (s), mean enhancement ME = mean RE over the
//   post-contrast phases, initial enhancement IE = RE at the first post-contrast phase, wash-in =
//   IE / t1 (per minute), signal enhancement ratio SER = (S1 - S0) / (S_last - S0), wash-out slope =
//   (RE_last - PE) / (t_last - TTP) (per minute; 0 when the peak is last), AUC60 / AUC90 = area
//   under RE(t) over the first 60 / 90 s (trapezoids, linear interpolation at the end point), and the
//   BI-RADS curve type from the late-phase change of S_last against S1: persistent (> +10%),
//   plateau (within +-10%), wash-out (< -10%).
// Voxels with S0 <= 0 have no relative enhancement: their maps hold NaN and they are counted.
#include <string>
#include <vector>

#include "core/image.h"

namespace vbiopsy::modalities::mri {

enum class CurveType : uint8_t { kNone = 0, kPersistent = 1, kPlateau = 2, kWashout = 3 };

struct KineticMaps {
  core::Image peak_enhancement, time_to_peak, mean_enhancement, initial_enhancement, wash_in, ser, wash_out, auc60,
      auc90;
  core::Mask curve_type;        // CurveType values
  size_t undefined_voxels = 0;  // S0 <= 0 (or S1 == S_last for SER)
};

// phases: pre-contrast first, all on one grid; times_s increasing with times_s[0] = 0 (or any
// origin: times are taken relative to the first). Throws core::Error naming what is wrong.
KineticMaps compute_kinetics(const std::vector<core::Image>& phases, const std::vector<double>& times_s);

// One voxel's curve (for tests and tumour-level summaries): the same definitions.
struct CurveKinetics {
  double pe, ttp, me, ie, wash_in, ser, wash_out, auc60, auc90;
  CurveType type;
};
CurveKinetics curve_kinetics(const std::vector<double>& signal, const std::vector<double>& times_s);

// Tumour-level summaries: the mean of each map inside the mask and the fraction of each curve type.
struct KineticSummary {
  std::vector<std::pair<std::string, double>> values;  // "pe_mean", ..., "curve_persistent_fraction", ...
};
KineticSummary summarise(const KineticMaps& maps, const core::Mask& mask);

// ADC (mm^2/s) by mono-exponential least squares of ln S against b over the b-values whose signal
// is positive (at least two needed; otherwise NaN, counted). Volumes on one grid, b in s/mm^2.
struct AdcMap {
  core::Image adc;
  size_t undefined_voxels = 0;
};
AdcMap fit_adc(const std::vector<core::Image>& volumes, const std::vector<double>& b_values);

}  // namespace vbiopsy::modalities::mri
