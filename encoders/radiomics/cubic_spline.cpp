#include "encoders/radiomics/cubic_spline.h"

#include <cmath>

namespace vbiopsy::encoders::radiomics {
namespace {

// The cubic B-spline's pole and the gain that makes the filter interpolating.
const double kPole = std::sqrt(3.0) - 2;
const double kGain = (1 - kPole) * (1 - 1 / kPole);

// In-place prefilter of one line of n samples, `stride` apart: a causal then an anti-causal
// recursion, each started as the mirror-extended infinite line would start it.
void prefilter_line(double* c, long n, long stride) {
  if (n < 2) return;
  auto v = [&](long i) -> double& { return c[i * stride]; };
  for (long i = 0; i < n; ++i) v(i) *= kGain;
  const double z_last = std::pow(kPole, double(n - 1));
  double first = v(0) + z_last * v(n - 1), z_i = kPole;
  for (long i = 1; i < n - 1; ++i, z_i *= kPole) first += z_i * (v(i) + z_last * v(n - 1 - i));
  v(0) = first / (1 - z_last * z_last);
  for (long i = 1; i < n; ++i) v(i) += kPole * v(i - 1);
  v(n - 1) = (kPole * v(n - 2) + v(n - 1)) * kPole / (kPole * kPole - 1);
  for (long i = n - 2; i >= 0; --i) v(i) = kPole * (v(i + 1) - v(i));
}

// Index i of a line of n samples reflected about its end samples (-1 -> 1, n -> n - 2).
long mirrored(long i, long n) {
  if (n == 1) return 0;
  const long period = 2 * n - 2;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// The four B-spline weights for the coefficients floor(x) - 1 ... floor(x) + 2.
std::array<double, 4> weights(double t) {
  const double s = 1 - t;
  return {s * s * s / 6, (3 * t * t * t - 6 * t * t + 4) / 6, (-3 * t * t * t + 3 * t * t + 3 * t + 1) / 6,
          t * t * t / 6};
}

}  // namespace

CubicSpline::CubicSpline(const core::Image& image)
    : size_{long(image.geometry.size[0]), long(image.geometry.size[1]), long(image.geometry.size[2])},
      coefficients_(image.voxels.begin(), image.voxels.end()) {
  const long nx = size_[0], ny = size_[1], nz = size_[2];
  double* c = coefficients_.data();
  for (long z = 0; z < nz; ++z)
    for (long y = 0; y < ny; ++y) prefilter_line(c + (z * ny + y) * nx, nx, 1);
  for (long z = 0; z < nz; ++z)
    for (long x = 0; x < nx; ++x) prefilter_line(c + z * ny * nx + x, ny, nx);
  for (long y = 0; y < ny; ++y)
    for (long x = 0; x < nx; ++x) prefilter_line(c + y * nx + x, nz, nx * ny);
}

double CubicSpline::at(double x, double y, double z) const {
  const double p[3] = {x, y, z};
  std::array<std::array<long, 4>, 3> index;
  std::array<std::array<double, 4>, 3> weight;
  for (int a = 0; a < 3; ++a) {
    if (!(p[a] >= 0 && p[a] <= double(size_[a] - 1))) return 0;
    const double lower = std::floor(p[a]);
    weight[a] = weights(p[a] - lower);
    for (long k = 0; k < 4; ++k) index[a][k] = mirrored(long(lower) - 1 + k, size_[a]);
  }
  double sum = 0;
  for (int k = 0; k < 4; ++k) {
    const double* plane = coefficients_.data() + index[2][k] * size_[0] * size_[1];
    double in_plane = 0;
    for (int j = 0; j < 4; ++j) {
      const double* row = plane + index[1][j] * size_[0];
      in_plane += weight[1][j] * (weight[0][0] * row[index[0][0]] + weight[0][1] * row[index[0][1]] +
                                  weight[0][2] * row[index[0][2]] + weight[0][3] * row[index[0][3]]);
    }
    sum += weight[2][k] * in_plane;
  }
  return sum;
}

}  // namespace vbiopsy::encoders::radiomics
