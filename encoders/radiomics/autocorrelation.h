#pragma once
// Moran's I and Geary's C (IBSI morphology) over every pair of voxels of the intensity mask, with
// weights 1 / distance in mm. The pair sums are convolutions of the region with the weight kernel
// (the weight depends only on the lattice offset), so above a thousand voxels they are computed by
// FFT (FFTW, planned deterministically): O(N log N) instead of O(n^2), within 1e-9 of the direct
// sums (test).
#include "encoders/radiomics/roi.h"

namespace vbiopsy::encoders::radiomics {

struct Autocorrelation {
  double moran, geary;  // NaN for a flat region, a single voxel, or a crop too large to transform
};

enum class PairSums { kAuto, kDirect, kFft };

// The padded FFT grid is refused (NaN) above this many points (three real and two complex arrays).
inline constexpr size_t kMaxAutocorrelationGrid = size_t(1) << 23;

Autocorrelation spatial_autocorrelation(const Roi& roi, PairSums method = PairSums::kAuto);

}  // namespace vbiopsy::encoders::radiomics
