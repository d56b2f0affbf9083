#include "encoders/radiomics/convolution/families.h"

#include <cmath>
#include <map>
#include <numbers>

#include "core/error.h"
#include "encoders/radiomics/convolution/wavelet_filters.h"

namespace vbiopsy::encoders::radiomics::convolution {

namespace {

// Scale in voxels along axis a.
double in_voxels(const Grid& in, double mm, size_t a) { return mm / in.geometry.spacing[a]; }

// Applies the 1D kernels[a] along each axis a < kernels.size() (each centred).
Grid separable(const Grid& in, const std::vector<std::vector<double>>& kernels, Padding padding) {
  Grid out = in;
  for (size_t a = 0; a < kernels.size(); ++a)
    out = convolve_axis(out, int(a), kernels[a], long(kernels[a].size() / 2), padding);
  return out;
}

void check_dimensions(int dimensions) {
  if (dimensions != 2 && dimensions != 3) core::fail("a filter has 2 or 3 dimensions, not ", dimensions);
}

}  // namespace

Grid mean_filter(const Grid& in, size_t support, int dimensions, Padding padding) {
  check_dimensions(dimensions);
  if (support % 2 == 0) core::fail("the mean filter's support must be odd, not ", support);
  const std::vector<double> box(support, 1.0 / double(support));
  return separable(in, std::vector<std::vector<double>>(size_t(dimensions), box), padding);
}

Grid laplacian_of_gaussian(const Grid& in, double sigma_mm, double truncate, int dimensions, Padding padding) {
  check_dimensions(dimensions);
  if (!(sigma_mm > 0) || !(truncate > 0)) core::fail("the LoG needs a positive sigma and truncation");
  // The Laplacian of a separable Gaussian is a sum of separable terms: g''(x) g(y) g(z) + ...
  const size_t d = size_t(dimensions);
  std::vector<std::vector<double>> gauss(d), second(d);
  for (size_t a = 0; a < d; ++a) {
    const double s = in_voxels(in, sigma_mm, a);
    const long radius = long(std::floor(truncate * s + 0.5));
    for (long t = -radius; t <= radius; ++t) {
      const double g = std::exp(-double(t * t) / (2 * s * s)) / (s * std::sqrt(2 * std::numbers::pi));
      gauss[a].push_back(g);
      second[a].push_back(g * (double(t * t) / (s * s * s * s) - 1 / (s * s)));
    }
  }
  Grid sum(in.geometry);
  for (size_t term = 0; term < d; ++term) {
    auto kernels = gauss;
    kernels[term] = second[term];
    const Grid part = separable(in, kernels, padding);
    for (size_t i = 0; i < sum.voxels.size(); ++i) sum.voxels[i] += part.voxels[i];
  }
  return sum;
}

namespace {

const std::map<std::string, std::vector<double>>& laws_kernels() {
  static const std::map<std::string, std::vector<double>> kernels = [] {
    std::map<std::string, std::vector<double>> k = {
        {"L3", {1, 2, 1}},         {"E3", {-1, 0, 1}},        {"S3", {-1, 2, -1}},       {"L5", {1, 4, 6, 4, 1}},
        {"E5", {-1, -2, 0, 2, 1}}, {"S5", {-1, 0, 2, 0, -1}}, {"W5", {-1, 2, 0, -2, 1}}, {"R5", {1, -4, 6, -4, 1}}};
    for (auto& [name, taps] : k) {  // unit norm
      double norm = 0;
      for (double t : taps) norm += t * t;
      for (double& t : taps) t /= std::sqrt(norm);
    }
    return k;
  }();
  return kernels;
}

std::vector<std::vector<double>> laws_parts(const std::string& kernel) {
  std::vector<std::vector<double>> parts;
  for (size_t i = 0; i + 2 <= kernel.size(); i += 2) {
    const auto it = laws_kernels().find(kernel.substr(i, 2));
    if (it == laws_kernels().end()) break;
    parts.push_back(it->second);
  }
  if (parts.size() * 2 != kernel.size() || (parts.size() != 2 && parts.size() != 3))
    core::fail("Laws kernel '", kernel, "' is not two or three of L3 E3 S3 L5 E5 S5 W5 R5 (e.g. E5L5S5, L5S5)");
  return parts;
}

}  // namespace

int laws_dimensions(const std::string& kernel) { return int(laws_parts(kernel).size()); }

Grid laws_filter(const Grid& in, const std::string& kernel, Padding padding) {
  return separable(in, laws_parts(kernel), padding);
}

Grid gabor_filter(const Grid& in, double sigma_mm, double lambda_mm, double gamma, double theta_rad, Padding padding) {
  if (!(sigma_mm > 0) || !(lambda_mm > 0) || !(gamma > 0))
    core::fail("the Gabor filter needs positive sigma, lambda and gamma");
  const double s = in_voxels(in, sigma_mm, 0), lambda = in_voxels(in, lambda_mm, 0);
  // The envelope falls below exp(-8) of its peak beyond 4 sigma along u and 4 sigma / gamma along v.
  const long radius = long(std::ceil(4 * s * std::max(1.0, 1.0 / gamma)));
  DenseKernel kernel;
  kernel.size = {size_t(2 * radius + 1), size_t(2 * radius + 1), 1};
  const double c = std::cos(theta_rad), sn = std::sin(theta_rad);
  for (long y = -radius; y <= radius; ++y)
    for (long x = -radius; x <= radius; ++x) {
      const double u = double(x) * c + double(y) * sn, v = -double(x) * sn + double(y) * c;
      kernel.taps.push_back(std::exp(-(u * u + gamma * gamma * v * v) / (2 * s * s)) *
                            std::polar(1.0, 2 * std::numbers::pi * u / lambda));
    }
  return per_plane(in, [&](const Grid& plane) { return convolve_dense(plane, kernel, padding, true); });
}

Grid wavelet_filter(const Grid& in, const std::string& wavelet, const std::string& bands, int level, Padding padding) {
  if (bands.size() != 2 && bands.size() != 3)
    core::fail("wavelet bands '", bands, "' need one L or H per axis (LHL, LH)");
  if (level < 1) core::fail("the wavelet level must be at least 1, not ", level);
  const auto low = wavelet_low_pass(wavelet), high = wavelet_high_pass(low);
  const long origin = long(low.size() / 2);
  Grid approximation = in;  // the all-low-pass band of the level below
  for (int l = 1; l <= level; ++l) {
    const long dilation = 1L << (l - 1);
    Grid out = approximation;
    for (size_t a = 0; a < bands.size(); ++a) {
      const char band = l == level ? bands[a] : 'L';
      if (band != 'L' && band != 'H') core::fail("wavelet bands '", bands, "' need one L or H per axis (LHL, LH)");
      out = convolve_axis(out, int(a), band == 'L' ? low : high, origin, padding, dilation);
    }
    approximation = std::move(out);
  }
  return approximation;
}

Grid simoncelli_filter(const Grid& in, int level, int dimensions) {
  check_dimensions(dimensions);
  if (level < 1) core::fail("the Simoncelli level must be at least 1, not ", level);
  const double top = std::ldexp(1.0, 1 - level);  // the band's upper edge, a fraction of the highest frequency
  return fourier_filter(
      in,
      [&](double fx, double fy, double fz) -> std::complex<double> {
        const double f = std::sqrt(fx * fx + fy * fy + (dimensions == 3 ? fz * fz : 0.0));
        if (f < top / 4 || f > top) return 0.0;
        return std::cos(std::numbers::pi / 2 * std::log2(2 * f / top));
      },
      FrequencyGrid::kCentred, dimensions == 2, false);
}

Grid riesz_transform(const Grid& in, const std::array<int, 3>& order, int dimensions) {
  check_dimensions(dimensions);
  int total = 0;
  double multinomial = 1;
  for (size_t a = 0; a < 3; ++a) {
    if (order[a] < 0 || (a == 2 && dimensions == 2 && order[a] != 0))
      core::fail("Riesz order ", order[0], ",", order[1], ",", order[2], " is not one non-negative order per axis");
    for (int k = 1; k <= order[a]; ++k) multinomial *= double(total + k) / k;  // L! / (l1! l2! l3!)
    total += order[a];
  }
  if (total < 1) core::fail("a Riesz transform needs a total order of at least 1");
  const std::complex<double> phase = std::pow(std::complex<double>(0, -1), total);
  return fourier_filter(
      in,
      [&](double fx, double fy, double fz) -> std::complex<double> {
        const double f[3] = {fx, fy, dimensions == 3 ? fz : 0.0};
        const double norm = std::sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]);
        if (norm == 0) return 0.0;
        double product = 1;
        for (size_t a = 0; a < 3; ++a) product *= std::pow(f[a] / norm, order[a]);
        return phase * std::sqrt(multinomial) * product;
      },
      FrequencyGrid::kDft, dimensions == 2, false);
}

}  // namespace vbiopsy::encoders::radiomics::convolution
