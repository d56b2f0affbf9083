#include "encoders/radiomics/autocorrelation.h"

#include <fftw3.h>

#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "encoders/radiomics/fftw_lock.h"

namespace vbiopsy::encoders::radiomics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Voxels {
  std::vector<std::array<size_t, 3>> position;  // in the ROI crop
  std::vector<double> value;
};

// The three pair sums every formula needs, over ordered pairs k != l: the weights, the products
// of centred values, and the squared differences.
struct Sums {
  double weights = 0, cross = 0, squared_differences = 0;
};

Sums direct_sums(const Roi& roi, const Voxels& v, double mean) {
  Sums s;
  for (size_t k = 0; k < v.value.size(); ++k)
    for (size_t l = k + 1; l < v.value.size(); ++l) {
      const double dx = (double(v.position[k][0]) - double(v.position[l][0])) * roi.spacing[0];
      const double dy = (double(v.position[k][1]) - double(v.position[l][1])) * roi.spacing[1];
      const double dz = (double(v.position[k][2]) - double(v.position[l][2])) * roi.spacing[2];
      const double w = 1.0 / std::sqrt(dx * dx + dy * dy + dz * dz);
      s.weights += 2 * w;
      s.cross += 2 * w * (v.value[k] - mean) * (v.value[l] - mean);
      s.squared_differences += 2 * w * (v.value[k] - v.value[l]) * (v.value[k] - v.value[l]);
    }
  return s;
}

// The smallest length >= n whose only prime factors are 2, 3, 5 and 7 (FFTW's fast sizes).
size_t fast_length(size_t n) {
  for (size_t m = n;; ++m) {
    size_t r = m;
    for (size_t p : {2, 3, 5, 7})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

struct FftwFree {
  void operator()(void* p) const { fftw_free(p); }
};
using RealArray = std::unique_ptr<double[], FftwFree>;
using ComplexArray = std::unique_ptr<fftw_complex[], FftwFree>;

// Sum_l w(k - l) x_l at every voxel k, for the region's mask and its centred values, by circular
// convolutions on a grid of at least 2n - 1 per axis (so that nothing wraps onto the crop).
Sums fft_sums(const Roi& roi, const Voxels& v, double mean, bool& too_large) {
  std::array<size_t, 3> p;
  for (int a = 0; a < 3; ++a) p[size_t(a)] = fast_length(2 * roi.size[size_t(a)] - 1);
  const size_t total = p[0] * p[1] * p[2], half = p[0] / 2 + 1, spectrum = half * p[1] * p[2];
  too_large = total > kMaxAutocorrelationGrid;
  if (too_large) return {};
  auto index = [&](size_t x, size_t y, size_t z) { return x + p[0] * (y + p[1] * z); };
  const std::lock_guard<std::mutex> lock(fftw_lock());
  RealArray kernel(fftw_alloc_real(total)), mask(fftw_alloc_real(total)), centred(fftw_alloc_real(total));
  ComplexArray kernel_f(fftw_alloc_complex(spectrum)), mask_f(fftw_alloc_complex(spectrum)),
      centred_f(fftw_alloc_complex(spectrum));
  // FFTW_ESTIMATE: the plan depends only on the sizes, never on timing, so results are reproducible.
  const fftw_plan forward =
      fftw_plan_dft_r2c_3d(int(p[2]), int(p[1]), int(p[0]), kernel.get(), kernel_f.get(), FFTW_ESTIMATE);
  const fftw_plan backward_mask =
      fftw_plan_dft_c2r_3d(int(p[2]), int(p[1]), int(p[0]), mask_f.get(), mask.get(), FFTW_ESTIMATE);
  const fftw_plan backward_centred =
      fftw_plan_dft_c2r_3d(int(p[2]), int(p[1]), int(p[0]), centred_f.get(), centred.get(), FFTW_ESTIMATE);
  std::fill(kernel.get(), kernel.get() + total, 0.0);
  std::fill(mask.get(), mask.get() + total, 0.0);
  std::fill(centred.get(), centred.get() + total, 0.0);
  // Offsets -(n - 1)..(n - 1) per axis, negative ones wrapped to the end of the grid.
  const long n0 = long(roi.size[0]), n1 = long(roi.size[1]), n2 = long(roi.size[2]);
  for (long dz = 1 - n2; dz < n2; ++dz)
    for (long dy = 1 - n1; dy < n1; ++dy)
      for (long dx = 1 - n0; dx < n0; ++dx) {
        if (!dx && !dy && !dz) continue;
        const double x = dx * roi.spacing[0], y = dy * roi.spacing[1], z = dz * roi.spacing[2];
        kernel[index(size_t(dx < 0 ? dx + long(p[0]) : dx), size_t(dy < 0 ? dy + long(p[1]) : dy),
                     size_t(dz < 0 ? dz + long(p[2]) : dz))] = 1.0 / std::sqrt(x * x + y * y + z * z);
      }
  for (size_t k = 0; k < v.value.size(); ++k) {
    const auto& q = v.position[k];
    mask[index(q[0], q[1], q[2])] = 1;
    centred[index(q[0], q[1], q[2])] = v.value[k] - mean;
  }
  fftw_execute_dft_r2c(forward, kernel.get(), kernel_f.get());
  fftw_execute_dft_r2c(forward, mask.get(), mask_f.get());
  fftw_execute_dft_r2c(forward, centred.get(), centred_f.get());
  for (size_t i = 0; i < spectrum; ++i) {
    const double kr = kernel_f[i][0], ki = kernel_f[i][1];
    for (fftw_complex* f : {&mask_f[i], &centred_f[i]}) {
      const double r = (*f)[0], im = (*f)[1];
      (*f)[0] = r * kr - im * ki;
      (*f)[1] = r * ki + im * kr;
    }
  }
  fftw_execute(backward_mask);
  fftw_execute(backward_centred);
  fftw_destroy_plan(forward);
  fftw_destroy_plan(backward_mask);
  fftw_destroy_plan(backward_centred);
  Sums s;
  double weighted_squares = 0;  // sum_k a_k^2 W_k
  for (size_t k = 0; k < v.value.size(); ++k) {
    const auto& q = v.position[k];
    const double weights = mask[index(q[0], q[1], q[2])] / double(total);  // W_k = sum_l w_kl
    const double neighbours = centred[index(q[0], q[1], q[2])] / double(total);
    const double a = v.value[k] - mean;
    s.weights += weights;
    s.cross += a * neighbours;
    weighted_squares += a * a * weights;
  }
  // sum_{k != l} w (a_k - a_l)^2 = 2 sum_k a_k^2 W_k - 2 sum_{k != l} w a_k a_l
  s.squared_differences = 2 * weighted_squares - 2 * s.cross;
  return s;
}

}  // namespace

Autocorrelation spatial_autocorrelation(const Roi& roi, PairSums method) {
  Voxels v;
  double sum = 0;
  for (size_t z = 0; z < roi.size[2]; ++z)
    for (size_t y = 0; y < roi.size[1]; ++y)
      for (size_t x = 0; x < roi.size[0]; ++x)
        if (roi.in_roi[roi.index(x, y, z)]) {
          v.position.push_back({x, y, z});
          v.value.push_back(roi.intensity[roi.index(x, y, z)]);
          sum += v.value.back();
        }
  const double n = double(v.value.size());
  if (n < 2) return {kNaN, kNaN};
  const double mean = sum / n;
  double variance = 0;
  for (double x : v.value) variance += (x - mean) * (x - mean);
  if (method == PairSums::kAuto) method = v.value.size() <= 1000 ? PairSums::kDirect : PairSums::kFft;
  bool too_large = false;
  const Sums s = method == PairSums::kDirect ? direct_sums(roi, v, mean) : fft_sums(roi, v, mean, too_large);
  if (too_large || !(variance > 0) || !(s.weights > 0)) return {kNaN, kNaN};
  return {n / s.weights * s.cross / variance, (n - 1) / (2 * s.weights) * s.squared_differences / variance};
}

}  // namespace vbiopsy::encoders::radiomics
