#include "encoders/radiomics/roi.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/warnings.h"

namespace vbiopsy::encoders::radiomics {
using core::fail;

std::vector<double> Roi::roi_intensities() const {
  std::vector<double> values;
  for (size_t i = 0; i < intensity.size(); ++i)
    if (in_roi[i]) values.push_back(intensity[i]);
  return values;
}

std::vector<int> Roi::roi_levels() const {
  std::vector<int> values;
  for (size_t i = 0; i < level.size(); ++i)
    if (in_roi[i]) values.push_back(level[i]);
  return values;
}

std::string mask_values_text(const core::Mask& mask) {
  std::array<bool, 256> present{};
  for (uint8_t v : mask.voxels) present[v] = true;
  std::string text;
  for (int v = 0; v < 256; ++v)
    if (present[size_t(v)]) text += (text.empty() ? "" : ", ") + std::to_string(v);
  return text;
}

void check_mask_label(const core::Mask& mask, int label, const std::string& mask_name) {
  std::array<size_t, 256> count{};
  for (uint8_t v : mask.voxels) ++count[v];
  size_t labels = 0;
  for (int v = 1; v < 256; ++v) labels += count[size_t(v)] > 0;
  if (labels == 0) fail(mask_name, ": the mask is empty (every voxel is 0)");
  if (label != kAnyLabel && (label < 1 || label > 255 || count[size_t(label)] == 0))
    fail(mask_name, ": label ", label, " (setting.label) does not occur in the mask, which holds the values ",
         mask_values_text(mask));
  if (label == kAnyLabel && labels > 1) {
    std::string values;
    for (int v = 1; v < 256; ++v)
      if (count[size_t(v)]) values += (values.empty() ? "" : ", ") + std::to_string(v);
    core::warn(core::concat(mask_name, ": the mask holds several labels (", values,
                            ") and no setting.label chooses one; every non-zero voxel forms the region"));
  }
}

core::Mask region_of(const core::Mask& mask, int label) { return region_of(core::Mask(mask), label); }

core::Mask region_of(core::Mask&& mask, int label) {
  for (auto& v : mask.voxels) v = in_label(v, label);
  return std::move(mask);
}

Roi extract_roi(const core::Image& image, const core::Mask& mask, int label) {
  const std::string mismatch = core::describe_grid_mismatch(image.geometry, mask.geometry);
  if (!mismatch.empty()) fail("mask does not match the image grid: ", mismatch);
  const auto& size = image.geometry.size;
  std::array<size_t, 3> lo{size[0], size[1], size[2]}, hi{0, 0, 0};
  bool any = false, any_label = false;
  // Row by row: a row without the label (most of the image) costs one vectorisable scan.
  const uint8_t* m = mask.voxels.data();
  for (size_t z = 0; z < size[2]; ++z)
    for (size_t y = 0; y < size[1]; ++y, m += size[0]) {
      uint8_t row_any = 0;
      for (size_t x = 0; x < size[0]; ++x) row_any |= m[x];
      if (!row_any) continue;
      any = true;
      bool row_label = false;
      for (size_t x = 0; x < size[0] && !row_label; ++x) row_label = in_label(m[x], label);
      if (!row_label) continue;
      any_label = true;
      size_t first = 0, last = size[0] - 1;
      while (!in_label(m[first], label)) ++first;
      while (!in_label(m[last], label)) --last;
      lo = {std::min(lo[0], first), std::min(lo[1], y), std::min(lo[2], z)};
      hi = {std::max(hi[0], last), std::max(hi[1], y), std::max(hi[2], z)};
    }
  if (!any) fail("the mask is empty (no voxel set)");
  if (!any_label) fail("label ", label, " does not occur in the mask, which holds the values ", mask_values_text(mask));
  Roi roi;
  roi.offset = lo;
  roi.spacing = image.geometry.spacing;
  for (int a = 0; a < 3; ++a) roi.size[a] = hi[a] - lo[a] + 1;
  const size_t n = roi.voxel_count();
  roi.intensity.resize(n);
  roi.morphological.resize(n);
  for (size_t z = 0; z < roi.size[2]; ++z)
    for (size_t y = 0; y < roi.size[1]; ++y)
      for (size_t x = 0; x < roi.size[0]; ++x) {
        const size_t i = roi.index(x, y, z);
        roi.intensity[i] = image.at(x + lo[0], y + lo[1], z + lo[2]);
        roi.morphological[i] = in_label(mask.at(x + lo[0], y + lo[1], z + lo[2]), label);
        if (roi.morphological[i] && !std::isfinite(roi.intensity[i]))
          fail("voxel (", x + lo[0], ",", y + lo[1], ",", z + lo[2], ") inside the mask holds ", roi.intensity[i],
               "; radiomics needs finite intensities");
      }
  roi.in_roi = roi.morphological;
  return roi;
}

void resegment_range(Roi& roi, double lower, double upper) {
  size_t kept = 0;
  for (size_t i = 0; i < roi.in_roi.size(); ++i) {
    if (!roi.in_roi[i]) continue;
    roi.in_roi[i] = roi.intensity[i] >= lower && roi.intensity[i] <= upper;
    kept += roi.in_roi[i];
  }
  if (kept == 0) fail("re-segmentation to [", lower, ", ", upper, "] leaves no voxel in the region");
}

void resegment_sigma(Roi& roi, double k_lower, double k_upper) {
  const auto values = roi.roi_intensities();
  double mean = 0, variance = 0;
  for (double v : values) mean += v;
  mean /= double(values.size());
  for (double v : values) variance += (v - mean) * (v - mean);
  const double sd = std::sqrt(variance / double(values.size()));
  resegment_range(roi, mean + k_lower * sd, mean + k_upper * sd);
}

void resegment(Roi& roi, const std::string& mode, const std::vector<double>& range) {
  if (range.empty()) return;
  const double lower = range[0];
  const double upper = range.size() > 1 ? range[1] : INFINITY;
  if (mode == "sigma")
    resegment_sigma(roi, lower, upper);
  else if (mode == "absolute")
    resegment_range(roi, lower, upper);
  else
    fail("re-segmentation mode '", mode, "' is not absolute or sigma");
}

void discretise(Roi& roi, const DiscretisationSettings& s) {
  const auto values = roi.roi_intensities();
  if (values.empty()) fail("the intensity mask is empty after re-segmentation");
  const auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  const double lo = *min_it, hi = *max_it;
  roi.level.assign(roi.intensity.size(), 0);
  double levels = 0;
  switch (s.method) {
    case Discretisation::kNone:
      for (double v : values)
        if (v != std::round(v) || v < 1)
          fail("without discretisation the intensities must be integers >= 1; found ", v);
      levels = hi;
      break;
    case Discretisation::kFixedBinNumber:
      if (s.bin_number < 1) fail("bin number ", s.bin_number, " must be at least 1");
      levels = s.bin_number;
      break;
    case Discretisation::kFixedBinSize: {
      if (!(s.bin_size > 0)) fail("bin size ", s.bin_size, " must be positive");
      levels = std::floor((hi - lo) / s.bin_size) + 1;
      break;
    }
  }
  if (levels > s.max_levels)
    fail("discretisation would create ", levels, " grey levels (limit ", s.max_levels,
         "); use a larger bin size or fewer bins");
  double lower = lo;
  if (s.method == Discretisation::kFixedBinSize) {
    if (s.pyradiomics_edges)
      lower = std::floor(lo / s.bin_size) * s.bin_size;
    else if (!std::isnan(s.bin_size_minimum))
      lower = s.bin_size_minimum;
  }
  int max_level = 0;
  for (size_t i = 0; i < roi.intensity.size(); ++i) {
    if (!roi.in_roi[i]) continue;
    const double v = roi.intensity[i];
    int level = 1;
    switch (s.method) {
      case Discretisation::kNone:
        level = static_cast<int>(v);
        break;
      case Discretisation::kFixedBinNumber:
        level = hi > lo ? static_cast<int>(std::floor(s.bin_number * (v - lo) / (hi - lo))) + 1 : 1;
        level = std::min(level, s.bin_number);
        break;
      case Discretisation::kFixedBinSize:
        level = static_cast<int>(std::floor((v - lower) / s.bin_size)) + 1;
        break;
    }
    if (level < 1) fail("intensity ", v, " lies below the first bin edge ", lower);
    roi.level[i] = level;
    max_level = std::max(max_level, level);
  }
  roi.levels = s.method == Discretisation::kFixedBinNumber ? s.bin_number : max_level;
}

}  // namespace vbiopsy::encoders::radiomics
