#include "encoders/radiomics/filters.h"

#include <itkGradientMagnitudeImageFilter.h>
#include <itkImage.h>
#include <itkLaplacianRecursiveGaussianImageFilter.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "modalities/itk_bridge.h"
#include "core/strings.h"

namespace vbiopsy::encoders::radiomics {
namespace {

using FloatImage = itk::Image<float, 3>;

FloatImage::Pointer to_itk(const core::Image& image) {
  return modalities::itk_bridge::to_itk<float>(image.geometry, image.voxels.data());
}

core::Image from_itk(const FloatImage* image, const core::Geometry& g) {
  core::Image out(g);
  std::copy_n(image->GetBufferPointer(), g.voxel_count(), out.voxels.begin());
  return out;
}

// PyWavelets' decomposition filters; the high pass is the quadrature mirror of the low pass.
std::vector<double> low_pass(const std::string& wavelet) {
  if (wavelet == "haar") return {0.7071067811865476, 0.7071067811865476};
  if (wavelet == "coif1")
    return {-0.01565572813546454, -0.0727326195128539, 0.38486484686420286,
            0.8525720202122554,  0.3378976624578092,  -0.0727326195128539};
  core::fail("wavelet '", wavelet, "' is not supported; use haar or coif1");
}

std::vector<double> high_pass(const std::vector<double>& low) {
  std::vector<double> high(low.size());
  const size_t f = low.size();
  for (size_t k = 0; k < f; ++k) high[k] = ((k % 2) ? 1.0 : -1.0) * low[f - 1 - k];
  return high;
}

// One axis of the undecimated transform with periodic extension, PyWavelets' alignment:
// out[o] = sum_j filter[j] * in[(o + F/2 - j) mod N].
std::vector<double> filter_axis(const std::vector<double>& data, const std::array<size_t, 3>& size, int axis,
                                const std::vector<double>& filter) {
  std::vector<double> out(data.size());
  const size_t n = size[axis];
  const size_t stride = axis == 0 ? 1 : (axis == 1 ? size[0] : size[0] * size[1]);
  const long half = long(filter.size() / 2);
  // Wrapped source index of every (output, tap) pair, computed once for all lines.
  std::vector<size_t> source(n * filter.size());
  for (size_t o = 0; o < n; ++o)
    for (size_t j = 0; j < filter.size(); ++j) {
      long i = (long(o) + half - long(j)) % long(n);
      if (i < 0) i += long(n);
      source[o * filter.size() + j] = size_t(i) * stride;
    }
  for (size_t start = 0; start < data.size(); ++start) {
    if ((start / stride) % n != 0) continue;  // first element of a line along axis
    const double* line = &data[start];
    for (size_t o = 0; o < n; ++o) {
      double sum = 0;
      const size_t* src = &source[o * filter.size()];
      for (size_t j = 0; j < filter.size(); ++j) sum += filter[j] * line[src[j]];
      out[start + o * stride] = sum;
    }
  }
  return out;
}

// Per axis, the box [lo, hi] around the region grown by `margin` voxels; an axis whose grown range
// does not fit inside the image keeps its full extent (so periodic or boundary handling is as for
// the whole image).
struct Box {
  std::array<size_t, 3> lo{0, 0, 0}, hi{0, 0, 0};
};

Box region_box(const core::Mask& region, const std::array<long, 3>& margin) {
  const auto& g = region.geometry;
  std::array<long, 3> lo{long(g.size[0]), long(g.size[1]), long(g.size[2])}, hi{-1, -1, -1};
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x)
        if (region.at(x, y, z)) {
          const long p[3] = {long(x), long(y), long(z)};
          for (int a = 0; a < 3; ++a) {
            lo[a] = std::min(lo[a], p[a]);
            hi[a] = std::max(hi[a], p[a]);
          }
        }
  Box box;
  for (int a = 0; a < 3; ++a) {
    const long grown_lo = lo[a] - margin[a], grown_hi = hi[a] + margin[a];
    const bool fits = hi[a] >= 0 && grown_lo >= 0 && grown_hi < long(g.size[a]);
    box.lo[a] = fits ? size_t(grown_lo) : 0;
    box.hi[a] = fits ? size_t(grown_hi) : g.size[a] - 1;
  }
  return box;
}

core::Image crop(const core::Image& image, const Box& box) {
  core::Geometry g = image.geometry;
  for (int a = 0; a < 3; ++a) g.size[a] = box.hi[a] - box.lo[a] + 1;
  g.origin = image.geometry.index_to_physical(double(box.lo[0]), double(box.lo[1]), double(box.lo[2]));
  core::Image out(g);
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x) out.at(x, y, z) = image.at(x + box.lo[0], y + box.lo[1], z + box.lo[2]);
  return out;
}

core::Image paste(const core::Image& image, const core::Image& part, const Box& box) {
  core::Image out = image;
  const auto& g = part.geometry;
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x) out.at(x + box.lo[0], y + box.lo[1], z + box.lo[2]) = part.at(x, y, z);
  return out;
}

}  // namespace

core::Image laplacian_of_gaussian(const core::Image& image, double sigma_mm) {
  auto filter = itk::LaplacianRecursiveGaussianImageFilter<FloatImage, FloatImage>::New();
  filter->SetInput(to_itk(image));
  filter->SetSigma(sigma_mm);
  filter->SetNormalizeAcrossScale(true);
  // One thread per filter: cases run in parallel one level up, and ITK's pool only adds waiting.
  filter->SetNumberOfWorkUnits(1);
  try {
    filter->Update();
  } catch (const itk::ExceptionObject& e) {
    core::fail("LoG with sigma ", sigma_mm, " mm failed: ", e.GetDescription());
  }
  return from_itk(filter->GetOutput(), image.geometry);
}

core::Image gradient_magnitude(const core::Image& image) {
  auto filter = itk::GradientMagnitudeImageFilter<FloatImage, FloatImage>::New();
  filter->SetInput(to_itk(image));
  filter->SetUseImageSpacing(true);
  filter->SetNumberOfWorkUnits(1);
  filter->Update();
  return from_itk(filter->GetOutput(), image.geometry);
}

std::vector<std::pair<std::string, core::Image>> stationary_wavelet(const core::Image& image, const std::string& wavelet) {
  const auto low = low_pass(wavelet);
  const auto high = high_pass(low);
  const auto& g = image.geometry;
  // Odd sizes are padded by one wrapped voxel (PyWavelets' SWT needs even lengths), then cropped.
  std::array<size_t, 3> padded;
  for (int a = 0; a < 3; ++a) padded[a] = g.size[a] + (g.size[a] % 2 == 1 && g.size[a] > 1 ? 1 : 0);
  std::vector<double> data(padded[0] * padded[1] * padded[2]);
  for (size_t z = 0; z < padded[2]; ++z)
    for (size_t y = 0; y < padded[1]; ++y)
      for (size_t x = 0; x < padded[0]; ++x)
        data[x + padded[0] * (y + padded[1] * z)] = image.at(x % g.size[0], y % g.size[1], z % g.size[2]);
  std::vector<std::pair<std::string, core::Image>> out;
  const bool flat_z = g.size[2] == 1;  // a single slice is transformed in-plane only
  for (int code = 0; code < 8; ++code) {
    const bool hx = code & 4, hy = code & 2, hz = code & 1;
    if (flat_z && hz) continue;
    std::vector<double> d = filter_axis(data, padded, 0, hx ? high : low);
    d = filter_axis(d, padded, 1, hy ? high : low);
    if (!flat_z) d = filter_axis(d, padded, 2, hz ? high : low);
    std::string name = std::string("wavelet-") + (hx ? 'H' : 'L') + (hy ? 'H' : 'L') + (flat_z ? "" : (hz ? "H" : "L"));
    core::Image band(g);
    for (size_t z = 0; z < g.size[2]; ++z)
      for (size_t y = 0; y < g.size[1]; ++y)
        for (size_t x = 0; x < g.size[0]; ++x)
          band.at(x, y, z) = static_cast<float>(d[x + padded[0] * (y + padded[1] * z)]);
    out.emplace_back(std::move(name), std::move(band));
  }
  return out;
}

void for_each_image_type(const core::Image& image, const FilterSettings& s,
                         const std::function<void(const std::string&, const core::Image&)>& visit,
                         std::vector<std::string>* skipped, const core::Mask* region) {
  if (s.original) visit("original", image);
  const auto& g = image.geometry;
  for (double sigma : s.log_sigma_mm) {
    const std::string name = "log-sigma-" + core::join(core::split(core::format_double(sigma), '.'), "-") + "-mm-3D";
    bool fits = sigma > 0;
    for (int a = 0; a < 3; ++a)
      fits = fits && g.size[a] >= 4 && double(g.size[a]) >= std::ceil(sigma / g.spacing[a]) + 1;
    if (!fits) {
      if (skipped) skipped->push_back(name + " (image too small for a 3D LoG of this width)");
      continue;
    }
    if (!region) {
      visit(name, laplacian_of_gaussian(image, sigma));
      continue;
    }
    std::array<long, 3> margin;
    for (int a = 0; a < 3; ++a) margin[a] = long(std::ceil(16 * sigma / g.spacing[a])) + 2;
    const Box box = region_box(*region, margin);
    visit(name, paste(image, laplacian_of_gaussian(crop(image, box), sigma), box));
  }
  if (!s.wavelet.empty()) {
    if (!region) {
      for (auto& [name, band] : stationary_wavelet(image, s.wavelet)) visit(name, band);
    } else {
      const long support = long(low_pass(s.wavelet).size()) + 1;
      const Box box = region_box(*region, {support, support, support});
      for (auto& [name, band] : stationary_wavelet(crop(image, box), s.wavelet)) visit(name, paste(image, band, box));
    }
  }
  double max_abs = 0;
  for (float v : image.voxels) max_abs = std::max(max_abs, double(std::abs(v)));
  auto point_filter = [&](const char* name, auto&& fn) {
    core::Image out = image;
    for (auto& v : out.voxels) v = static_cast<float>(fn(double(v)));
    visit(name, out);
  };
  if (s.square) point_filter("square", [&](double x) { return std::pow(x / std::sqrt(max_abs), 2); });
  if (s.square_root)
    point_filter("squareroot", [&](double x) { return x >= 0 ? std::sqrt(x * max_abs) : -std::sqrt(-x * max_abs); });
  if (s.logarithm) {
    const double log_max = std::log(max_abs + 1);
    point_filter("logarithm", [&](double x) {
      return (x >= 0 ? std::log(x + 1) : -std::log(1 - x)) * max_abs / log_max;
    });
  }
  if (s.exponential) {
    const double c = std::log(max_abs) / max_abs;
    point_filter("exponential", [&](double x) { return std::exp(c * x); });
  }
  if (s.gradient) {
    if (!region) {
      visit("gradient", gradient_magnitude(image));
    } else {
      const Box box = region_box(*region, {2, 2, 2});  // central differences reach one voxel
      visit("gradient", paste(image, gradient_magnitude(crop(image, box)), box));
    }
  }
}

}  // namespace vbiopsy::encoders::radiomics
