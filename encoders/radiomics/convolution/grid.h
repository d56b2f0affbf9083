#pragma once
// The grid operations the IBSI 2 convolutional filters are built from: boundary padding, separable
// convolution along one axis, circular filtering in the Fourier domain, and the right-angle
// rotations that make a filter rotation invariant. Axis 0 is x (fastest in memory), 1 is y, 2 is z.
#include <array>
#include <complex>
#include <functional>
#include <string>
#include <vector>

#include "core/image.h"

namespace vbiopsy::encoders::radiomics::convolution {

using Grid = core::ImageT<double>;

// How values beyond the image are defined (IBSI 2, "boundary conditions"): zero, the nearest
// voxel, the image repeated, or the image mirrored about its edge (... c b a | a b c ...).
enum class Padding { kConstant, kNearest, kPeriodic, kMirror };
Padding padding_named(const std::string& name);  // constant (or zero), nearest, periodic, mirror
const char* padding_name(Padding padding);

// The voxel index [0, n) that position i stands for, or -1 for a zero (constant padding).
long source_index(long i, long n, Padding padding);

Grid to_grid(const core::Image& image);
core::Image to_image(const Grid& grid);

// out[o] = sum_j kernel[j] * in[o - (j - origin) * dilation] along `axis` (a true convolution;
// `dilation` > 1 inserts zeros between the taps, as the undecimated wavelet transform does).
Grid convolve_axis(const Grid& in, int axis, const std::vector<double>& kernel, long origin, Padding padding,
                   long dilation = 1);

// The image padded by `margin` voxels per side and axis, as `padding` defines the values there.
Grid padded(const Grid& in, const std::array<size_t, 3>& margin, Padding padding);
// The inverse: the centre of a padded grid.
Grid cropped(const Grid& in, const std::array<size_t, 3>& margin);

// Each (x, y) plane of `in` (all of it when planar is false) transformed to the Fourier domain,
// multiplied by response(fx, fy, fz) and transformed back; `out` receives the real part, or the
// modulus when modulus is set. fz = 0 in a plane. Frequencies are in units of the highest
// (Nyquist) frequency, on one of two grids:
//   kDft: the DFT's own, bin k of n at 2k/n (k - n above n/2);
//   kCentred: the grid of IBSI 2's Simoncelli consensus maps, bin k at (m - c) / c with
//     m = (k + n/2) mod n and c = (n - 1) / 2: from -1 to 1 and centred on the DFT's origin, but
//     stretched by n/(n - 1), which puts the DC bin of an even n at 1/(n - 1) instead of 0.
enum class FrequencyGrid { kDft, kCentred };
using FrequencyResponse = std::function<std::complex<double>(double fx, double fy, double fz)>;
Grid fourier_filter(const Grid& in, const FrequencyResponse& response, FrequencyGrid grid, bool planar, bool modulus);

// 2D or 3D convolution with a dense, possibly complex, kernel of odd size per axis (centred),
// through the Fourier domain on the padded image; returns the real part or the modulus.
struct DenseKernel {
  std::array<size_t, 3> size{1, 1, 1};
  std::vector<std::complex<double>> taps;  // x fastest
};
Grid convolve_dense(const Grid& in, const DenseKernel& kernel, Padding padding, bool modulus);

// A right-angle rotation of the voxel grid: output axis a takes input axis axes[a], reversed when
// flip[a]. right_angle_rotations(3) gives the 24 rotations of a cube, (2) the 4 in the (x, y)
// plane; the first is the identity.
struct Rotation {
  std::array<int, 3> axes{0, 1, 2};
  std::array<bool, 3> flip{false, false, false};
};
std::vector<Rotation> right_angle_rotations(int dimensions);
Grid rotate(const Grid& in, const Rotation& r);
Grid unrotate(const Grid& in, const Rotation& r);  // rotate(., r) undone

// Applies `filter` to each (x, y) plane of `in` separately, as 2D filters do.
Grid per_plane(const Grid& in, const std::function<Grid(const Grid&)>& filter);

}  // namespace vbiopsy::encoders::radiomics::convolution
