#include "encoders/radiomics/pyradiomics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include <itkBSplineInterpolateImageFunction.h>
#include <itkNearestNeighborInterpolateImageFunction.h>

#include "core/error.h"
#include "encoders/radiomics/first_order.h"
#include "modalities/itk_bridge.h"
#include "encoders/radiomics/mesh.h"
#include "encoders/radiomics/morphology.h"
#include "encoders/radiomics/resample.h"
#include "encoders/radiomics/roi.h"
#include "encoders/radiomics/shape2d.h"
#include "encoders/radiomics/texture.h"

namespace vbiopsy::encoders::radiomics {
namespace {

// The features of `ibsi` in `aggregation` that PyRadiomics computes, under its names.
void add_mapped(FeatureList& out, const std::string& type, const char* cls, const FeatureList& ibsi,
                const std::string& aggregation, const FeatureNames& names) {
  for (const auto& f : ibsi) {
    if (f.aggregation != aggregation) continue;
    const auto name = std::find_if(names.begin(), names.end(), [&](const FeatureName& n) { return f.name == n.ibsi; });
    if (name == names.end()) core::fail("internal: feature ", f.name, " is not in the ", cls, " names");
    if (name->pyradiomics) out.push_back({type, std::string(cls) + "_" + name->pyradiomics, f.ibsi_id, "", f.value});
  }
}

// Convex hull of 2D points (Andrew's monotone chain), for the largest in-plane distance.
std::vector<std::array<double, 2>> hull_2d(std::vector<std::array<double, 2>> points) {
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  if (points.size() < 3) return points;
  auto cross = [](const auto& o, const auto& a, const auto& b) {
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  };
  std::vector<std::array<double, 2>> hull(2 * points.size());
  size_t k = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  for (size_t i = points.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  hull.resize(k - 1);
  return hull;
}

// Largest distance between mesh vertices lying in one plane perpendicular to fixed_axis. Only the
// ends of each in-plane axis line can be hull vertices of their plane.
double max_in_plane_distance(const std::vector<std::array<double, 3>>& vertices,
                             const std::array<std::vector<uint8_t>, 3>& extreme, int fixed_axis) {
  const int u = fixed_axis == 0 ? 1 : 0, v = fixed_axis == 2 ? 1 : 2;
  std::vector<std::pair<double, std::array<double, 2>>> candidates;  // (plane, in-plane point)
  for (size_t i = 0; i < vertices.size(); ++i)
    if (extreme[size_t(u)][i] && extreme[size_t(v)][i])
      candidates.push_back({vertices[i][size_t(fixed_axis)], {vertices[i][size_t(u)], vertices[i][size_t(v)]}});
  std::sort(candidates.begin(), candidates.end());
  double best = 0;
  for (size_t first = 0; first < candidates.size();) {
    size_t last = first;
    std::vector<std::array<double, 2>> points;
    while (last < candidates.size() && candidates[last].first == candidates[first].first)
      points.push_back(candidates[last++].second);
    const auto hull = hull_2d(std::move(points));
    for (size_t i = 0; i < hull.size(); ++i)
      for (size_t j = i + 1; j < hull.size(); ++j)
        best = std::max(best, std::pow(hull[i][0] - hull[j][0], 2) + std::pow(hull[i][1] - hull[j][1], 2));
    first = last;
  }
  return std::sqrt(best);
}

// PyRadiomics' normalisation: over every voxel of the image, with the sample standard deviation
// (SimpleITK's Normalize), then scaled.
core::Image normalised(const core::Image& image, double scale) {
  double mean = 0, variance = 0;
  for (float v : image.voxels) mean += v;
  mean /= double(image.voxels.size());
  for (float v : image.voxels) variance += (v - mean) * (v - mean);
  const double sd = std::sqrt(variance / double(image.voxels.size() - 1));
  core::Image out = image;
  for (auto& v : out.voxels) v = static_cast<float>((v - mean) / sd * scale);
  return out;
}

// Resamples an image of stored type Pixel with ITK's cubic B-spline, converting the result back to
// Pixel as ITK's resampler does (clamped, truncated toward zero for integers).
template <typename Pixel>
std::vector<float> resample_as(const core::Image& image, const core::Geometry& out) {
  using Spline = itk::BSplineInterpolateImageFunction<itk::Image<Pixel, 3>, double, double>;
  auto spline = Spline::New();
  spline->SetSplineOrder(3);
  const std::vector<Pixel> stored(image.voxels.begin(), image.voxels.end());
  const auto result = modalities::itk_bridge::resample<Pixel, Spline>(image.geometry, stored, out, spline);
  return std::vector<float>(result.begin(), result.end());
}

// PyRadiomics' resampling: a grid of the new spacing over the label's bounding box grown by
// pad_distance voxels (of the new grid), clipped to the image, aligned so that the new grid's
// first voxel centre sits half a new voxel in from the original corner.
std::pair<core::Image, core::Mask> resample_pyradiomics(const core::Image& image, const core::Mask& mask, int label,
                                                        const std::vector<double>& new_spacing, double pad,
                                                        const std::string& pixel_type) {
  if (new_spacing.size() != 3) core::fail("resampledPixelSpacing needs 3 values, got ", new_spacing.size());
  const auto& g = mask.geometry;
  std::array<double, 3> lo{1e300, 1e300, 1e300}, hi{-1e300, -1e300, -1e300};
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x)
        if (in_label(mask.at(x, y, z), label)) {
          const double p[3] = {double(x), double(y), double(z)};
          for (int a = 0; a < 3; ++a) {
            lo[a] = std::min(lo[a], p[a]);
            hi[a] = std::max(hi[a], p[a]);
          }
        }
  if (lo[0] > hi[0])
    core::fail("label ", label, " does not occur in the mask, which holds the values ", mask_values_text(mask));
  core::Geometry out = g;
  std::array<double, 3> origin_index{}, size{}, spacings{};
  for (int a = 0; a < 3; ++a) {
    if (!std::isfinite(new_spacing[size_t(a)]) || new_spacing[size_t(a)] < 0)
      core::fail("resampledPixelSpacing ", new_spacing[size_t(a)],
                 " mm must be finite and not negative (0 keeps the axis)");
    const double spacing = new_spacing[size_t(a)] > 0 ? new_spacing[size_t(a)] : g.spacing[a];
    const double ratio = g.spacing[a] / spacing;
    const double extent = hi[a] - lo[a] + 1;  // bounding box size in voxels
    double lower = std::floor((lo[a] - 0.5) * ratio - pad);
    double upper = std::ceil((lo[a] + extent - 0.5) * ratio + pad);
    const double max_upper = std::ceil(double(g.size[a]) * ratio) - 1;
    lower = std::max(lower, 0.0);
    upper = std::min(upper, max_upper);
    size[a] = upper - lower + 1;
    spacings[a] = spacing;
    out.spacing[a] = spacing;
    origin_index[a] = 0.5 * (spacing - g.spacing[a]) / g.spacing[a] + lower / ratio;
  }
  out.origin = g.index_to_physical(origin_index[0], origin_index[1], origin_index[2]);
  require_resampling_budget(size, spacings);
  for (int a = 0; a < 3; ++a) out.size[a] = size_t(size[a]);
  core::Image resampled(out);
  if (pixel_type == "short")
    resampled.voxels = resample_as<short>(image, out);
  else if (pixel_type == "unsigned_short")
    resampled.voxels = resample_as<unsigned short>(image, out);
  else if (pixel_type == "int")
    resampled.voxels = resample_as<int>(image, out);
  else if (pixel_type == "unsigned_char")
    resampled.voxels = resample_as<unsigned char>(image, out);
  else if (pixel_type == "char")
    resampled.voxels = resample_as<signed char>(image, out);
  else if (pixel_type == "double")
    resampled.voxels = resample_as<double>(image, out);
  else
    resampled.voxels = resample_as<float>(image, out);
  // The mask by nearest neighbour, as PyRadiomics does.
  using Nearest = itk::NearestNeighborInterpolateImageFunction<itk::Image<uint8_t, 3>, double>;
  core::Mask resampled_mask(out);
  resampled_mask.voxels = modalities::itk_bridge::resample<uint8_t, Nearest>(g, mask.voxels, out, Nearest::New());
  return {resampled, resampled_mask};
}

// PyRadiomics' fixed bin count: numpy.histogram's edges (min + k * step), the last moved up by one
// so that the maximum falls in the last bin; a voxel's level is the number of edges at or below it.
void discretise_bin_count(Roi& roi, int bins) {
  const auto values = roi.roi_intensities();
  const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
  const double lo = *lo_it, hi = *hi_it, step = (hi - lo) / bins;
  std::vector<double> edges(size_t(bins) + 1);
  for (int k = 0; k < bins; ++k) edges[size_t(k)] = k * step + lo;
  edges[size_t(bins)] = hi + 1;
  roi.level.assign(roi.intensity.size(), 0);
  for (size_t i = 0; i < roi.intensity.size(); ++i) {
    if (!roi.in_roi[i]) continue;
    roi.level[i] = int(std::upper_bound(edges.begin(), edges.end(), double(roi.intensity[i])) - edges.begin());
  }
  roi.levels = bins;
}

void discretise_like_pyradiomics(Roi& roi, const ExtractionSettings& s) {
  switch (s.discretisation.method) {
    case Discretisation::kFixedBinNumber:
      discretise_bin_count(roi, s.discretisation.bin_number);
      return;
    case Discretisation::kFixedBinSize: {
      DiscretisationSettings d;
      d.method = Discretisation::kFixedBinSize;
      d.bin_size = s.discretisation.bin_size;
      d.pyradiomics_edges = true;
      discretise(roi, d);
      return;
    }
    case Discretisation::kNone:
      core::fail("PyRadiomics always discretises: give binWidth or binCount");
  }
}

// firstorder and the texture classes of one (original or filtered) image, with PyRadiomics' names.
void add_intensity_and_texture(const Roi& roi, const ExtractionSettings& s, const std::string& type, FeatureList& out) {
  const std::string zone_aggregation = s.force_2d ? "2.5D" : "3D";
  const std::string run_aggregation =
      s.force_2d ? "2.5D, direction-merged" : (s.merge_directions ? "3D, merged" : "3D, averaged");
  // firstorder
  const auto values = roi.roi_intensities();
  std::map<std::string, double> st;
  for (auto& f : intensity_statistics(roi)) st[f.name] = f.value;
  std::map<std::string, double> ih;
  for (auto& f : intensity_histogram(roi)) ih[f.name] = f.value;
  double energy = 0;
  for (double x : values) energy += (x + s.voxel_array_shift) * (x + s.voxel_array_shift);
  const double voxel_volume = roi.spacing[0] * roi.spacing[1] * roi.spacing[2];
  auto first = [&](const char* name, const char* id, double v) {
    out.push_back({type, std::string("firstorder_") + name, id, "", v});
  };
  first("Energy", "", energy);
  first("TotalEnergy", "", energy * voxel_volume);
  first("Entropy", "", ih["discretised_intensity_entropy"]);
  first("Minimum", "1GSF", st["minimum_intensity"]);
  first("10Percentile", "QG58", st["10th_intensity_percentile"]);
  first("90Percentile", "8DWT", st["90th_intensity_percentile"]);
  first("Maximum", "84IY", st["maximum_intensity"]);
  first("Mean", "Q4LE", st["mean_intensity"]);
  first("Median", "Y12H", st["median_intensity"]);
  first("InterquartileRange", "SALO", st["intensity_interquartile_range"]);
  first("Range", "2OJQ", st["intensity_range"]);
  first("MeanAbsoluteDeviation", "4FUA", st["intensity_based_mean_absolute_deviation"]);
  first("RobustMeanAbsoluteDeviation", "1128", st["intensity_based_robust_mean_absolute_deviation"]);
  first("RootMeanSquared", "", std::sqrt(energy / double(values.size())));
  first("Skewness", "KE2A", st["intensity_skewness"]);
  first("Kurtosis", "", st["excess_intensity_kurtosis"] + 3);
  first("Variance", "ECT3", st["intensity_variance"]);
  first("Uniformity", "BJ5W", ih["discretised_intensity_uniformity"]);

  // glcm: the 13 directions averaged, plus MCC
  auto glcm =
      glcm_with_mcc(roi, s.force_2d ? GlcmAggregation::kInPlaneDirectionsAveraged
                                    : (s.merge_directions ? GlcmAggregation::kMerged3d : GlcmAggregation::kAveraged3d));
  // A flat region leaves correlation and IMC1 undefined (IBSI: NaN); PyRadiomics reports 1 and 0.
  const auto& names = glcm_names();
  for (size_t k = 0; k < names.size() && k < glcm.size(); ++k) {
    if (std::isnan(glcm[k]) && names[k].ibsi == std::string("correlation")) glcm[k] = 1;
    if (std::isnan(glcm[k]) && names[k].ibsi == std::string("information_correlation_1")) glcm[k] = 0;
    if (names[k].pyradiomics)
      out.push_back(Feature{type, std::string("glcm_") + names[k].pyradiomics, "", "", glcm[k]});
  }
  if (glcm.size() > names.size()) out.push_back(Feature{type, "glcm_MCC", "", "", glcm[names.size()]});

  add_mapped(out, type, "glrlm", glrlm_features(roi, {run_aggregation}), run_aggregation, glrlm_names());
  add_mapped(out, type, "glszm", glszm_features(roi, {zone_aggregation}), zone_aggregation, glszm_names());
  add_mapped(out, type, "ngtdm", ngtdm_features(roi, {zone_aggregation}), zone_aggregation, ngtdm_names());
  add_mapped(out, type, "gldm", ngldm_features(roi, {zone_aggregation}), zone_aggregation, ngldm_names());
}

}  // namespace

FeatureList pyradiomics_features(const core::Image& input, const core::Mask& mask, const ExtractionSettings& s,
                                 const std::string& stored_pixel_type) {
  if (!s.filters.convolution.empty() || s.round_intensities)
    core::fail("[filter.<name>] sections and roundIntensities belong to the IBSI convention; PyRadiomics has neither");
  // The input itself unless normalised or resampled (a copy of a whole image costs more than the
  // features of a small region).
  core::Image prepared;
  core::Mask resampled_mask;
  const core::Image* image = &input;
  const core::Mask* region = &mask;
  if (s.normalize) {
    prepared = normalised(input, s.normalize_scale);
    image = &prepared;
  }
  // The image's type from here on: sitk.Normalize makes a real image (float stays float, any other
  // type becomes double), which the resampler then keeps.
  const std::string pixel_type = s.normalize ? (stored_pixel_type == "float" ? "float" : "double") : stored_pixel_type;
  if (!s.resampled_spacing.empty()) {
    std::tie(prepared, resampled_mask) =
        resample_pyradiomics(*image, mask, s.label, s.resampled_spacing, s.pad_distance, pixel_type);
    image = &prepared;
    region = &resampled_mask;
  }
  Roi roi = extract_roi(*image, *region, s.label);
  resegment(roi, s.resegment_mode, s.resegment_range);
  discretise_like_pyradiomics(roi, s);
  FeatureList out;

  // shape
  Mesh mesh;
  const FeatureList morph = morphology(roi, /*with_autocorrelation=*/false, &mesh, MeshStyle::kPyRadiomics);
  std::map<std::string, double> m;
  for (auto& f : morph) m[f.name] = f.value;
  auto shape = [&](const char* name, double v) {
    out.push_back({"original", std::string("shape_") + name, "", "", v});
  };
  // IBSI's axes use the sample covariance of the voxel centres, PyRadiomics' the population one.
  const double voxels = m["volume_voxel_counting"] / (roi.spacing[0] * roi.spacing[1] * roi.spacing[2]);
  const double population = voxels > 1 ? std::sqrt((voxels - 1) / voxels) : 1.0;
  shape("Maximum3DDiameter", m["maximum_3d_diameter"]);
  shape("Maximum2DDiameterSlice", max_in_plane_distance(mesh.vertices, mesh.line_end, 2));
  shape("Maximum2DDiameterColumn", max_in_plane_distance(mesh.vertices, mesh.line_end, 1));
  shape("Maximum2DDiameterRow", max_in_plane_distance(mesh.vertices, mesh.line_end, 0));
  shape("Sphericity", m["sphericity"]);
  shape("MinorAxisLength", m["minor_axis_length"] * population);
  shape("Elongation", m["elongation"]);
  shape("SurfaceVolumeRatio", m["surface_to_volume_ratio"]);
  shape("MeshVolume", m["volume_mesh"]);
  shape("MajorAxisLength", m["major_axis_length"] * population);
  shape("SurfaceArea", m["surface_area_mesh"]);
  shape("Flatness", m["flatness"]);
  shape("LeastAxisLength", m["least_axis_length"] * population);
  shape("VoxelVolume", m["volume_voxel_counting"]);

  if (roi.size[2] == 1)
    for (auto& f : shape2d_features(roi)) out.push_back({"original", "shape2D_" + f.name, "", "", f.value});

  // LBP3D compares samples kept in the image's type, as scipy returns them there.
  FilterSettings filters = s.filters;
  filters.lbp_3d_settings.samples = sample_type_of(pixel_type);
  // One feature list per image type, joined in order whatever the thread count.
  std::mutex guard;
  std::map<size_t, FeatureList> by_type;
  for_each_image_type(
      *image, *region, filters,
      [&](size_t order, const std::string& type, const core::Image& typed, const core::Mask& typed_region) {
        FeatureList features;
        if (type == "original") {
          add_intensity_and_texture(roi, s, type, features);
        } else {
          Roi filtered = extract_roi(typed, typed_region, s.label);
          filtered.in_roi = roi.in_roi;  // the same re-segmented region
          discretise_like_pyradiomics(filtered, s);
          add_intensity_and_texture(filtered, s, type, features);
        }
        const std::lock_guard<std::mutex> lock(guard);
        by_type[order] = std::move(features);
      },
      nullptr, s.threads);
  for (auto& [order, features] : by_type) out.insert(out.end(), features.begin(), features.end());
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
