#include "encoders/radiomics/convolution/grid.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>

#include "core/error.h"
#include "core/strings.h"
#include "encoders/radiomics/fftw_lock.h"

namespace vbiopsy::encoders::radiomics::convolution {

Padding padding_named(const std::string& name) {
  const std::string n = core::to_lower(core::trim(name));
  if (n == "constant" || n == "zero") return Padding::kConstant;
  if (n == "nearest") return Padding::kNearest;
  if (n == "periodic") return Padding::kPeriodic;
  if (n == "mirror") return Padding::kMirror;
  core::fail("padding '", name, "' is not one of constant (zero), nearest, periodic, mirror");
}

const char* padding_name(Padding padding) {
  switch (padding) {
    case Padding::kConstant:
      return "constant";
    case Padding::kNearest:
      return "nearest";
    case Padding::kPeriodic:
      return "periodic";
    case Padding::kMirror:
      return "mirror";
  }
  return "";
}

long source_index(long i, long n, Padding padding) {
  if (i >= 0 && i < n) return i;
  switch (padding) {
    case Padding::kConstant:
      return -1;
    case Padding::kNearest:
      return i < 0 ? 0 : n - 1;
    case Padding::kPeriodic:
      return ((i % n) + n) % n;
    case Padding::kMirror: {  // period 2n: a b c | c b a | a b c ...
      const long m = ((i % (2 * n)) + 2 * n) % (2 * n);
      return m < n ? m : 2 * n - 1 - m;
    }
  }
  return -1;
}

Grid to_grid(const core::Image& image) {
  Grid out(image.geometry);
  std::copy(image.voxels.begin(), image.voxels.end(), out.voxels.begin());
  return out;
}

core::Image to_image(const Grid& grid) {
  core::Image out(grid.geometry);
  std::transform(grid.voxels.begin(), grid.voxels.end(), out.voxels.begin(),
                 [](double v) { return static_cast<float>(v); });
  return out;
}

Grid convolve_axis(const Grid& in, int axis, const std::vector<double>& kernel, long origin, Padding padding,
                   long dilation) {
  const auto& size = in.geometry.size;
  const size_t n = size[size_t(axis)], taps = kernel.size();
  // Source position of every (output, tap) pair along the axis, -1 for a zero.
  std::vector<long> source(n * taps);
  for (size_t o = 0; o < n; ++o)
    for (size_t j = 0; j < taps; ++j)
      source[o * taps + j] = source_index(long(o) - (long(j) - origin) * dilation, long(n), padding);
  Grid out(in.geometry);
  if (axis == 0) {
    for (size_t row = 0; row < in.voxels.size() / n; ++row) {
      const double* line = &in.voxels[row * n];
      double* result = &out.voxels[row * n];
      for (size_t o = 0; o < n; ++o) {
        double sum = 0;
        for (size_t j = 0; j < taps; ++j)
          if (const long s = source[o * taps + j]; s >= 0) sum += kernel[j] * line[s];
        result[o] = sum;
      }
    }
    return out;
  }
  // Along y or z the lines lie side by side: whole rows (y) or planes (z) are combined at once, the
  // taps added in the same order as along x.
  const size_t block = axis == 1 ? size[0] : size[0] * size[1];
  for (size_t outer = 0; outer < in.voxels.size() / (block * n); ++outer)
    for (size_t o = 0; o < n; ++o) {
      double* result = &out.voxels[(outer * n + o) * block];
      for (size_t j = 0; j < taps; ++j) {
        const long s = source[o * taps + j];
        if (s < 0) continue;
        const double* line = &in.voxels[(outer * n + size_t(s)) * block];
        for (size_t k = 0; k < block; ++k) result[k] += kernel[j] * line[k];
      }
    }
  return out;
}

Grid padded(const Grid& in, const std::array<size_t, 3>& margin, Padding padding) {
  const auto& n = in.geometry.size;
  core::Geometry g = in.geometry;
  for (size_t a = 0; a < 3; ++a) g.size[a] = n[a] + 2 * margin[a];
  Grid out(g);
  for (size_t z = 0; z < g.size[2]; ++z) {
    const long sz = source_index(long(z) - long(margin[2]), long(n[2]), padding);
    for (size_t y = 0; y < g.size[1]; ++y) {
      const long sy = source_index(long(y) - long(margin[1]), long(n[1]), padding);
      for (size_t x = 0; x < g.size[0]; ++x) {
        const long sx = source_index(long(x) - long(margin[0]), long(n[0]), padding);
        if (sx >= 0 && sy >= 0 && sz >= 0) out.at(x, y, z) = in.at(size_t(sx), size_t(sy), size_t(sz));
      }
    }
  }
  return out;
}

Grid cropped(const Grid& in, const std::array<size_t, 3>& margin) {
  core::Geometry g = in.geometry;
  for (size_t a = 0; a < 3; ++a) g.size[a] -= 2 * margin[a];
  Grid out(g);
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x) out.at(x, y, z) = in.at(x + margin[0], y + margin[1], z + margin[2]);
  return out;
}

namespace {

struct FftwFree {
  void operator()(void* p) const { fftw_free(p); }
};
using ComplexArray = std::unique_ptr<fftw_complex[], FftwFree>;

// Bin k of n on a FrequencyResponse grid.
double frequency(size_t k, size_t n, FrequencyGrid grid) {
  if (n < 2) return 0;
  if (grid == FrequencyGrid::kDft)
    return 2 * (long(k) < long((n + 1) / 2) ? double(k) : double(k) - double(n)) / double(n);
  const double c = double(n - 1) / 2;
  return (double((k + n / 2) % n) - c) / c;
}

// The complex DFT of `data` (x fastest, sizes n) in place; sign FFTW_FORWARD or FFTW_BACKWARD
// (unscaled). FFTW_ESTIMATE plans depend only on the sizes, so results are reproducible.
void dft(fftw_complex* data, const std::array<size_t, 3>& n, int sign) {
  fftw_plan plan;
  {
    const std::lock_guard<std::mutex> lock(fftw_lock());
    plan = fftw_plan_dft_3d(int(n[2]), int(n[1]), int(n[0]), data, data, sign, FFTW_ESTIMATE);
  }
  fftw_execute(plan);
  const std::lock_guard<std::mutex> lock(fftw_lock());
  fftw_destroy_plan(plan);
}

// The spectrum of `data` multiplied by gain(x, y, z) (bin indices), transformed back.
void filter_in_place(fftw_complex* data, const std::array<size_t, 3>& n,
                     const std::function<std::complex<double>(size_t, size_t, size_t)>& gain) {
  dft(data, n, FFTW_FORWARD);
  const double scale = 1.0 / double(n[0] * n[1] * n[2]);
  size_t i = 0;
  for (size_t z = 0; z < n[2]; ++z)
    for (size_t y = 0; y < n[1]; ++y)
      for (size_t x = 0; x < n[0]; ++x, ++i) {
        const auto r = std::complex<double>(data[i][0], data[i][1]) * gain(x, y, z) * scale;
        data[i][0] = r.real();
        data[i][1] = r.imag();
      }
  dft(data, n, FFTW_BACKWARD);
}

ComplexArray complex_copy(const Grid& in) {
  const size_t total = in.voxels.size();
  ComplexArray data;
  {
    const std::lock_guard<std::mutex> lock(fftw_lock());
    data.reset(fftw_alloc_complex(total));
  }
  if (!data) core::fail("out of memory for a Fourier transform of ", total, " voxels");
  for (size_t i = 0; i < total; ++i) {
    data[i][0] = in.voxels[i];
    data[i][1] = 0;
  }
  return data;
}

void take_result(const fftw_complex* data, bool modulus, Grid& out) {
  for (size_t i = 0; i < out.voxels.size(); ++i)
    out.voxels[i] = modulus ? std::hypot(data[i][0], data[i][1]) : data[i][0];
}

}  // namespace

Grid fourier_filter(const Grid& in, const FrequencyResponse& response, FrequencyGrid grid, bool planar, bool modulus) {
  if (planar)
    return per_plane(in, [&](const Grid& plane) { return fourier_filter(plane, response, grid, false, modulus); });
  const auto n = in.geometry.size;
  auto data = complex_copy(in);
  filter_in_place(data.get(), n, [&](size_t x, size_t y, size_t z) {
    return response(frequency(x, n[0], grid), frequency(y, n[1], grid), frequency(z, n[2], grid));
  });
  Grid out(in.geometry);
  take_result(data.get(), modulus, out);
  return out;
}

Grid convolve_dense(const Grid& in, const DenseKernel& kernel, Padding padding, bool modulus) {
  std::array<size_t, 3> margin;
  for (size_t a = 0; a < 3; ++a) {
    if (kernel.size[a] % 2 == 0) core::fail("a dense kernel needs an odd size per axis");
    margin[a] = kernel.size[a] / 2;
  }
  // Padded by the kernel's radius, the circular convolution reaches no further than the padding.
  const Grid big = padded(in, margin, padding);
  const auto n = big.geometry.size;
  auto kernel_data = complex_copy(Grid(big.geometry));
  const auto wrap = [](long offset, size_t length) { return size_t(offset < 0 ? offset + long(length) : offset); };
  size_t t = 0;
  for (size_t z = 0; z < kernel.size[2]; ++z)
    for (size_t y = 0; y < kernel.size[1]; ++y)
      for (size_t x = 0; x < kernel.size[0]; ++x, ++t) {
        const size_t i = wrap(long(x) - long(margin[0]), n[0]) +
                         n[0] * (wrap(long(y) - long(margin[1]), n[1]) + n[1] * wrap(long(z) - long(margin[2]), n[2]));
        kernel_data[i][0] = kernel.taps[t].real();
        kernel_data[i][1] = kernel.taps[t].imag();
      }
  dft(kernel_data.get(), n, FFTW_FORWARD);
  auto data = complex_copy(big);
  filter_in_place(data.get(), n, [&](size_t x, size_t y, size_t z) {
    const size_t i = x + n[0] * (y + n[1] * z);
    return std::complex<double>(kernel_data[i][0], kernel_data[i][1]);
  });
  Grid out(big.geometry);
  take_result(data.get(), modulus, out);
  return cropped(out, margin);
}

std::vector<Rotation> right_angle_rotations(int dimensions) {
  std::vector<Rotation> out;
  std::array<int, 3> axes{0, 1, 2};
  do {
    const int inversions = (axes[0] > axes[1]) + (axes[0] > axes[2]) + (axes[1] > axes[2]);
    for (int flips = 0; flips < 8; ++flips) {
      Rotation r{axes, {bool(flips & 1), bool(flips & 2), bool(flips & 4)}};
      const int negatives = r.flip[0] + r.flip[1] + r.flip[2];
      if ((inversions + negatives) % 2 != 0) continue;  // a reflection, not a rotation
      if (dimensions == 2 && (axes[2] != 2 || r.flip[2])) continue;
      out.push_back(r);
    }
  } while (std::next_permutation(axes.begin(), axes.end()));
  return out;
}

Grid rotate(const Grid& in, const Rotation& r) {
  const auto& n = in.geometry.size;
  core::Geometry g = in.geometry;
  for (size_t a = 0; a < 3; ++a) {
    g.size[a] = n[size_t(r.axes[a])];
    g.spacing[a] = in.geometry.spacing[size_t(r.axes[a])];
  }
  Grid out(g);
  std::array<size_t, 3> o, i;
  for (o[2] = 0; o[2] < g.size[2]; ++o[2])
    for (o[1] = 0; o[1] < g.size[1]; ++o[1])
      for (o[0] = 0; o[0] < g.size[0]; ++o[0]) {
        for (size_t a = 0; a < 3; ++a) i[size_t(r.axes[a])] = r.flip[a] ? g.size[a] - 1 - o[a] : o[a];
        out.at(o[0], o[1], o[2]) = in.at(i[0], i[1], i[2]);
      }
  return out;
}

Grid unrotate(const Grid& in, const Rotation& r) {
  Rotation inverse;
  for (size_t a = 0; a < 3; ++a) {
    inverse.axes[size_t(r.axes[a])] = int(a);
    inverse.flip[size_t(r.axes[a])] = r.flip[a];
  }
  return rotate(in, inverse);
}

Grid per_plane(const Grid& in, const std::function<Grid(const Grid&)>& filter) {
  const auto& n = in.geometry.size;
  core::Geometry plane_geometry = in.geometry;
  plane_geometry.size[2] = 1;
  Grid out(in.geometry);
  const size_t plane = n[0] * n[1];
  for (size_t z = 0; z < n[2]; ++z) {
    Grid slice(plane_geometry);
    std::copy_n(in.voxels.begin() + long(z * plane), plane, slice.voxels.begin());
    const Grid result = filter(slice);
    std::copy_n(result.voxels.begin(), plane, out.voxels.begin() + long(z * plane));
  }
  return out;
}

}  // namespace vbiopsy::encoders::radiomics::convolution
