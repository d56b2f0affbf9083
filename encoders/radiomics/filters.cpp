#include "encoders/radiomics/filters.h"

#include <itkGradientMagnitudeImageFilter.h>
#include <itkImage.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/error.h"
#include "core/parallel.h"
#include "modalities/image_io.h"
#include "modalities/itk_bridge.h"
#include "core/strings.h"
#include "encoders/radiomics/convolution/grid.h"
#include "encoders/radiomics/convolution/wavelet_filters.h"
#include "encoders/radiomics/lbp.h"
#include "encoders/radiomics/recursive_gaussian.h"

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

// The bounding box of the region's voxels (nonzero); throws for an empty region.
VoxelBox bounding_box(const core::Mask& region) {
  const auto& g = region.geometry;
  VoxelBox box{{g.size[0], g.size[1], g.size[2]}, {0, 0, 0}};
  const uint8_t* m = region.voxels.data();
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y, m += g.size[0]) {
      size_t first = 0, last = g.size[0];
      while (first < g.size[0] && !m[first]) ++first;
      if (first == g.size[0]) continue;
      while (!m[last - 1]) --last;
      box.lo = {std::min(box.lo[0], first), std::min(box.lo[1], y), std::min(box.lo[2], z)};
      box.hi = {std::max(box.hi[0], last - 1), std::max(box.hi[1], y), std::max(box.hi[2], z)};
    }
  if (box.lo[0] > box.hi[0]) core::fail("the region to filter is empty");
  return box;
}

VoxelBox whole(const core::Geometry& g) { return {{0, 0, 0}, {g.size[0] - 1, g.size[1] - 1, g.size[2] - 1}}; }

// `box` grown by margin[a] voxels along each axis a where the grown range fits inside the image;
// an axis where it does not keeps its full extent (so boundary handling is as for the whole image).
VoxelBox grown(const VoxelBox& box, const core::Geometry& g, const std::array<size_t, 3>& margin) {
  VoxelBox out;
  for (size_t a = 0; a < 3; ++a) {
    const bool fits = box.lo[a] >= margin[a] && box.hi[a] + margin[a] < g.size[a];
    out.lo[a] = fits ? box.lo[a] - margin[a] : 0;
    out.hi[a] = fits ? box.hi[a] + margin[a] : g.size[a] - 1;
  }
  return out;
}

// `inner` in the coordinates of the crop `outer`.
VoxelBox relative(const VoxelBox& inner, const VoxelBox& outer) {
  VoxelBox out;
  for (size_t a = 0; a < 3; ++a) {
    out.lo[a] = inner.lo[a] - outer.lo[a];
    out.hi[a] = inner.hi[a] - outer.lo[a];
  }
  return out;
}

template <typename T>
core::ImageT<T> crop(const core::ImageT<T>& image, const VoxelBox& box) {
  core::Geometry g = image.geometry;
  for (int a = 0; a < 3; ++a) g.size[size_t(a)] = box.extent(a);
  g.origin = image.geometry.index_to_physical(double(box.lo[0]), double(box.lo[1]), double(box.lo[2]));
  core::ImageT<T> out(g);
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      std::copy_n(&image.at(box.lo[0], y + box.lo[1], z + box.lo[2]), g.size[0], &out.at(0, y, z));
  return out;
}

using Images = std::vector<std::pair<std::string, core::Image>>;

// Every filter as a task that makes its images on the voxels of `box` (the whole image, or a
// region's bounding box), reading around the box only as far as its values there depend on. The
// LBP3D maps are made at the region's voxels only (every voxel without a region). The tasks
// reference `image`, `box`, `s` and `region`, which must outlive them.
std::vector<std::function<Images()>> filter_tasks(const core::Image& image, const VoxelBox& box,
                                                  const FilterSettings& s, std::vector<std::string>* skipped,
                                                  const core::Mask* region) {
  const auto& g = image.geometry;
  std::vector<std::function<Images()>> tasks;
  for (const auto& log_sigma : s.log_sigma) {
    const double sigma = log_sigma.mm;
    const std::string name = "log-sigma-" + log_sigma.name() + "-mm-3D";
    bool fits = sigma > 0;
    for (int a = 0; a < 3; ++a)
      fits = fits && g.size[a] >= 4 && double(g.size[a]) >= std::ceil(sigma / g.spacing[a]) + 1;
    if (!fits) {
      if (skipped) skipped->push_back(name + " (image too small for a 3D LoG of this width)");
      continue;
    }
    std::array<size_t, 3> margin;
    for (int a = 0; a < 3; ++a) margin[size_t(a)] = size_t(std::ceil(16 * sigma / g.spacing[a])) + 2;
    const VoxelBox reach = grown(box, g, margin);
    tasks.push_back([&image, &box, name, sigma, reach] {
      Images out;
      out.emplace_back(name, laplacian_of_gaussian_in(image, sigma, box, reach));
      return out;
    });
  }
  if (!s.wavelet.empty())
    tasks.push_back([&image, &box, &s, &g] {
      const size_t support = convolution::wavelet_low_pass(s.wavelet).size() + 1;
      const VoxelBox reach = grown(box, g, {support, support, support});
      Images out = stationary_wavelet(crop(image, reach), s.wavelet);
      for (auto& [name, band] : out) band = crop(band, relative(box, reach));
      return out;
    });
  // The point filters scale by the whole image's largest magnitude, as PyRadiomics does.
  double max_abs = 0;
  if (s.square || s.square_root || s.logarithm || s.exponential) {
    std::array<float, 8> largest{};  // eight running maxima: no chain of dependent comparisons
    const size_t n = image.voxels.size();
    for (size_t i = 0; i + 8 <= n; i += 8)
      for (size_t k = 0; k < 8; ++k) largest[k] = std::max(largest[k], std::abs(image.voxels[i + k]));
    for (size_t i = n - n % 8; i < n; ++i) largest[0] = std::max(largest[0], std::abs(image.voxels[i]));
    max_abs = *std::max_element(largest.begin(), largest.end());
  }
  auto point_filter = [&](const char* name, std::function<double(double)> fn) {
    tasks.push_back([&image, &box, name, fn] {
      core::Image out = crop(image, box);
      for (auto& v : out.voxels) v = static_cast<float>(fn(double(v)));
      Images images;
      images.emplace_back(name, std::move(out));
      return images;
    });
  };
  if (s.square) point_filter("square", [max_abs](double x) { return std::pow(x / std::sqrt(max_abs), 2); });
  if (s.square_root)
    point_filter("squareroot",
                 [max_abs](double x) { return x >= 0 ? std::sqrt(x * max_abs) : -std::sqrt(-x * max_abs); });
  if (s.logarithm) {
    const double log_max = std::log(max_abs + 1);
    point_filter("logarithm", [max_abs, log_max](double x) {
      return (x >= 0 ? std::log(x + 1) : -std::log(1 - x)) * max_abs / log_max;
    });
  }
  if (s.exponential) {
    const double c = std::log(max_abs) / max_abs;
    point_filter("exponential", [c](double x) { return std::exp(c * x); });
  }
  if (s.gradient)
    tasks.push_back([&image, &box, &g] {
      const VoxelBox reach = grown(box, g, {2, 2, 2});  // central differences reach one voxel
      Images out;
      out.emplace_back("gradient", crop(gradient_magnitude(crop(image, reach)), relative(box, reach)));
      return out;
    });
  if (s.lbp_2d)
    tasks.push_back([&image, &box, &s, &g] {
      // A neighbour lies within ceil(radius) pixels in the plane (bilinear reads), zero outside the image.
      const size_t margin = size_t(std::ceil(s.lbp_2d_radius)) + 1;
      const VoxelBox reach = grown(box, g, {margin, margin, 0});
      Images out;
      out.emplace_back("lbp-2D", crop(local_binary_pattern_2d(crop(image, reach), s.lbp_2d_radius, s.lbp_2d_samples,
                                                              s.lbp_2d_method),
                                      relative(box, reach)));
      return out;
    });
  if (s.lbp_3d)
    tasks.push_back([&image, &box, &s, &g, region] {
      // A sample reads the spline coefficients within radius + 2 voxels; the prefilter's start-up
      // from a cut decays as 0.268^d, below 1e-13 after 24 voxels.
      const size_t margin = size_t(std::ceil(s.lbp_3d_settings.icosphere_radius)) + 26;
      const VoxelBox reach = grown(box, g, {margin, margin, margin});
      const core::Image part = crop(image, reach);
      const core::Mask where = region ? crop(*region, reach) : core::Mask(part.geometry, 1);
      Images out = local_binary_pattern_3d(part, where, s.lbp_3d_settings);
      for (auto& [name, map] : out) map = crop(map, relative(box, reach));
      return out;
    });
  return tasks;
}

}  // namespace

LogSigma log_sigma_typed(const std::string& text) {
  const std::string t = core::trim(text);
  const auto value = core::parse_double(t);
  if (!value || !std::isfinite(*value) || !(*value > 0))
    core::fail("LoG sigma '", t, "' is not a positive number (mm)");
  // Python reads digits alone as an int (printed as such), anything else as a float, printed by
  // repr: the shortest digits that read back, fixed-point with at least one decimal for exponents
  // from -4 to 15, else d[.ddd]e+XX.
  if (t.find_first_not_of("0123456789") == std::string::npos && t.size() <= 18)
    return {*value, std::to_string(std::stoll(t))};
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, *value, std::chars_format::scientific).ptr;
  const std::string scientific(buffer, end);  // d[.ddd]e[+-]XX
  const size_t e = scientific.find('e');
  std::string digits = scientific.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::stoi(scientific.substr(e + 1));
  std::string repr;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      repr = "0." + std::string(size_t(-exponent - 1), '0') + digits;
    } else {
      if (digits.size() < size_t(exponent) + 1) digits += std::string(size_t(exponent) + 1 - digits.size(), '0');
      repr = digits.substr(0, size_t(exponent) + 1) + "." +
             (digits.size() > size_t(exponent) + 1 ? digits.substr(size_t(exponent) + 1) : "0");
    }
  } else {
    repr = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") + "e" + (exponent < 0 ? "-" : "+") +
           (std::abs(exponent) < 10 ? "0" : "") + std::to_string(std::abs(exponent));
  }
  return {*value, repr};
}

std::string LogSigma::name() const {
  std::string out = text;
  std::replace(out.begin(), out.end(), '.', '-');
  return out;
}

core::Image laplacian_of_gaussian(const core::Image& image, double sigma_mm) {
  return laplacian_of_gaussian_in(image, sigma_mm, whole(image.geometry));
}

core::Image gradient_magnitude(const core::Image& image) {
  auto filter = itk::GradientMagnitudeImageFilter<FloatImage, FloatImage>::New();
  filter->SetInput(to_itk(image));
  filter->SetUseImageSpacing(true);
  filter->SetNumberOfWorkUnits(1);
  filter->Update();
  return from_itk(filter->GetOutput(), image.geometry);
}

std::vector<std::pair<std::string, core::Image>> stationary_wavelet(const core::Image& image,
                                                                    const std::string& wavelet) {
  const auto low = convolution::wavelet_low_pass(wavelet);
  const auto high = convolution::wavelet_high_pass(low);
  const auto& g = image.geometry;
  // Odd sizes are padded by one wrapped voxel (PyWavelets' SWT needs even lengths), then cropped.
  std::array<size_t, 3> padded;
  for (int a = 0; a < 3; ++a) padded[a] = g.size[a] + (g.size[a] % 2 == 1 && g.size[a] > 1 ? 1 : 0);
  core::Geometry padded_geometry = g;
  padded_geometry.size = padded;
  convolution::Grid data(padded_geometry);
  for (size_t z = 0; z < padded[2]; ++z)
    for (size_t y = 0; y < padded[1]; ++y)
      for (size_t x = 0; x < padded[0]; ++x) data.at(x, y, z) = image.at(x % g.size[0], y % g.size[1], z % g.size[2]);
  // PyWavelets' alignment with periodic extension: out[o] = sum_j filter[j] in[(o + F/2 - j) mod N].
  const auto filter_axis = [&](const convolution::Grid& in, int axis, const std::vector<double>& filter) {
    return convolution::convolve_axis(in, axis, filter, long(filter.size() / 2), convolution::Padding::kPeriodic);
  };
  std::vector<std::pair<std::string, core::Image>> out;
  const bool flat_z = g.size[2] == 1;  // a single slice is transformed in-plane only
  // Low and high pass along x, then each along y, then each along z: 14 passes for the 8 bands.
  std::array<convolution::Grid, 2> along_x;
  std::array<convolution::Grid, 4> along_xy;
  for (int hx = 0; hx < 2; ++hx) along_x[size_t(hx)] = filter_axis(data, 0, hx ? high : low);
  for (int k = 0; k < 4; ++k) along_xy[size_t(k)] = filter_axis(along_x[size_t(k >> 1)], 1, (k & 1) ? high : low);
  for (int code = 0; code < 8; ++code) {
    const bool hx = code & 4, hy = code & 2, hz = code & 1;
    if (flat_z && hz) continue;
    const auto& xy = along_xy[size_t(code >> 1)];
    const convolution::Grid d = flat_z ? xy : filter_axis(xy, 2, hz ? high : low);
    std::string name = std::string("wavelet-") + (hx ? 'H' : 'L') + (hy ? 'H' : 'L') + (flat_z ? "" : (hz ? "H" : "L"));
    core::Image band(g);
    for (size_t z = 0; z < g.size[2]; ++z)
      for (size_t y = 0; y < g.size[1]; ++y)
        for (size_t x = 0; x < g.size[0]; ++x) band.at(x, y, z) = static_cast<float>(d.at(x, y, z));
    out.emplace_back(std::move(name), std::move(band));
  }
  return out;
}

void for_each_image_type(const core::Image& image, const FilterSettings& s,
                         const std::function<void(const std::string&, const core::Image&)>& visit,
                         std::vector<std::string>* skipped) {
  if (s.original) visit("original", image);
  const VoxelBox box = whole(image.geometry);
  for (const auto& task : filter_tasks(image, box, s, skipped, nullptr))
    for (const auto& [name, filtered] : task()) visit(name, filtered);
}

void for_each_image_type(
    const core::Image& image, const core::Mask& region, const FilterSettings& s,
    const std::function<void(size_t, const std::string&, const core::Image&, const core::Mask&)>& visit,
    std::vector<std::string>* skipped, unsigned threads) {
  const std::string mismatch = core::describe_grid_mismatch(image.geometry, region.geometry);
  if (!mismatch.empty()) core::fail("mask does not match the image grid: ", mismatch);
  if (!s.any_filter()) {
    if (s.original) visit(0, "original", image, region);
    return;
  }
  const VoxelBox box = bounding_box(region);
  const core::Mask region_part = crop(region, box);
  const auto tasks = filter_tasks(image, box, s, skipped, &region);
  if (threads <= 1) {
    size_t order = 0;
    if (s.original) visit(order++, "original", image, region);
    for (const auto& task : tasks)
      for (const auto& [name, filtered] : task()) visit(order++, name, filtered, region_part);
    return;
  }
  // In parallel: every filter's images first (box-sized, so all of them fit), then every visit.
  modalities::prepare_itk_for_threads();
  std::vector<Images> made(tasks.size());
  core::parallel_for(tasks.size(), threads, [&](size_t t) { made[t] = tasks[t](); });
  std::vector<const std::pair<std::string, core::Image>*> images;
  for (const auto& task_images : made)
    for (const auto& named : task_images) images.push_back(&named);
  const size_t first = s.original ? 1 : 0;
  core::parallel_for(images.size() + first, threads, [&](size_t k) {
    if (k < first)
      visit(0, "original", image, region);
    else
      visit(k, images[k - first]->first, images[k - first]->second, region_part);
  });
}

}  // namespace vbiopsy::encoders::radiomics
