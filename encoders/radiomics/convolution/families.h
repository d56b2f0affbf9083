#pragma once
// The IBSI 2 filter families, each for one orientation; response_map.h adds rotation invariance,
// orientation pooling and energy maps. `dimensions` 2 filters each (x, y) plane on its own.
// Lengths in mm are converted to voxels with the image's spacing, which IBSI 2 assumes isotropic
// in the filtered dimensions.
#include <string>

#include "encoders/radiomics/convolution/grid.h"

namespace vbiopsy::encoders::radiomics::convolution {

// The mean over a cube (square) of `support` voxels per side, odd.
Grid mean_filter(const Grid& in, size_t support, int dimensions, Padding padding);

// Laplacian of Gaussian, -1/s^2 (d - |x|^2/s^2) G_s(x) with G_s the normalised Gaussian of scale s
// (sigma_mm in voxels), sampled on 1 + 2 floor(truncate s + 1/2) voxels per axis.
Grid laplacian_of_gaussian(const Grid& in, double sigma_mm, double truncate, int dimensions, Padding padding);

// Laws' kernel named by its 1D kernels (L3 E3 S3, L5 E5 S5 W5 R5, each of unit norm), the first
// along x: "E5L5S5" filters a volume, "L5S5" each plane.
Grid laws_filter(const Grid& in, const std::string& kernel, Padding padding);
int laws_dimensions(const std::string& kernel);  // 2 or 3; throws for a malformed name

// The modulus of each (x, y) plane convolved with the complex Gabor kernel
// exp(-(u^2 + gamma^2 v^2) / (2 sigma^2)) exp(2 pi i u / lambda), u = x cos(theta) + y sin(theta),
// v = -x sin(theta) + y cos(theta).
Grid gabor_filter(const Grid& in, double sigma_mm, double lambda_mm, double gamma, double theta_rad, Padding padding);

// The undecimated (stationary) separable wavelet transform: `bands` (one L or H per filtered axis,
// x first: "LHL" or, for a planar transform, "LH") at `level` >= 1, the lower levels' all-low-pass
// band filtered by the dilated filters (a trous). Wavelets: haar, db1-db4, coif1 (PyWavelets'
// filters, aligned as PyWavelets' stationary transform aligns them).
Grid wavelet_filter(const Grid& in, const std::string& wavelet, const std::string& bands, int level, Padding padding);

// Simoncelli's isotropic, non-separable wavelet at `level` >= 1, defined in the Fourier domain
// (periodic boundary): cos(pi/2 log2(2 |f| / t)) for t/4 <= |f| <= t, t = 2^(1 - level), with f
// on grid.h's centred frequency grid (1 = the highest frequency).
Grid simoncelli_filter(const Grid& in, int level, int dimensions);

// The higher-order Riesz transform of `in` (IBSI 2): in the Fourier domain
// (-i)^L sqrt(L! / (l1! l2! l3!)) w1^l1 w2^l2 w3^l3 / |w|^L, L = l1 + l2 + l3 >= 1, zero at DC;
// order l per axis, x first. Applied to a LoG or Simoncelli response.
Grid riesz_transform(const Grid& in, const std::array<int, 3>& order, int dimensions);

}  // namespace vbiopsy::encoders::radiomics::convolution
