#include "encoders/radiomics/pyradiomics.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "encoders/radiomics/first_order.h"
#include "encoders/radiomics/mesh.h"
#include "encoders/radiomics/morphology.h"
#include "encoders/radiomics/roi.h"
#include "encoders/radiomics/texture.h"

namespace vbiopsy::encoders::radiomics {
namespace {

using Names = std::vector<const char*>;  // PyRadiomics names in our (IBSI) order; nullptr: not a PyRadiomics feature

void add_mapped(FeatureList& out, const char* cls, const FeatureList& ibsi, const std::string& aggregation,
                const Names& names) {
  size_t k = 0;
  for (const auto& f : ibsi) {
    if (f.aggregation != aggregation) continue;
    if (k < names.size() && names[k]) out.push_back({"original", std::string(cls) + "_" + names[k], f.ibsi_id, "", f.value});
    ++k;
  }
}

double max_distance(const std::vector<std::array<double, 3>>& points, int fixed_axis) {
  // Largest distance between vertices sharing a coordinate along fixed_axis (-1: any pair).
  std::map<long long, std::vector<const std::array<double, 3>*>> groups;
  for (const auto& p : points) groups[fixed_axis < 0 ? 0 : std::llround(p[fixed_axis] * 1e6)].push_back(&p);
  double best = 0;
  for (auto& [key, group] : groups)
    for (size_t i = 0; i < group.size(); ++i)
      for (size_t j = i + 1; j < group.size(); ++j) {
        const auto& a = *group[i];
        const auto& b = *group[j];
        best = std::max(best, (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
      }
  return std::sqrt(best);
}

}  // namespace

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

FeatureList pyradiomics_features(const core::Image& input, const core::Mask& mask, const PyRadiomicsSettings& s) {
  const core::Image image = s.normalize ? normalised(input, s.normalize_scale) : input;
  Roi roi = extract_roi(image, mask, s.label);
  if (!s.resegment_range.empty()) {
    const double lower = s.resegment_range[0];
    const double upper = s.resegment_range.size() > 1 ? s.resegment_range[1] : INFINITY;
    if (s.resegment_mode == "sigma") resegment_sigma(roi, lower, upper);
    else resegment_range(roi, lower, upper);
  }
  if (s.bin_count > 0) {
    discretise_bin_count(roi, s.bin_count);
  } else {
    DiscretisationSettings d;
    d.method = Discretisation::kFixedBinSize;
    d.bin_size = s.bin_width;
    d.pyradiomics_edges = true;
    discretise(roi, d);
  }
  const std::string zone_aggregation = s.force_2d ? "2.5D" : "3D";
  const std::string run_aggregation = s.force_2d ? "2.5D, direction-merged" : (s.merge_directions ? "3D, merged" : "3D, averaged");
  FeatureList out;

  // shape
  const FeatureList morph = morphology(roi);
  std::map<std::string, double> m;
  for (auto& f : morph) m[f.name] = f.value;
  const Mesh mesh = mesh_of_mask(roi.morphological, roi.size, roi.spacing);
  auto shape = [&](const char* name, double v) { out.push_back({"original", std::string("shape_") + name, "", "", v}); };
  // IBSI's axes use the sample covariance of the voxel centres, PyRadiomics' the population one.
  const double voxels = m["volume_voxel_counting"] / (roi.spacing[0] * roi.spacing[1] * roi.spacing[2]);
  const double population = voxels > 1 ? std::sqrt((voxels - 1) / voxels) : 1.0;
  shape("Maximum3DDiameter", m["maximum_3d_diameter"]);
  shape("Maximum2DDiameterSlice", max_distance(mesh.vertices, 2));
  shape("Maximum2DDiameterColumn", max_distance(mesh.vertices, 1));
  shape("Maximum2DDiameterRow", max_distance(mesh.vertices, 0));
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

  // firstorder
  const auto values = roi.roi_intensities();
  std::map<std::string, double> st;
  for (auto& f : intensity_statistics(roi)) st[f.name] = f.value;
  std::map<std::string, double> ih;
  for (auto& f : intensity_histogram(roi)) ih[f.name] = f.value;
  double energy = 0;
  for (double x : values) energy += (x + s.voxel_array_shift) * (x + s.voxel_array_shift);
  const double voxel_volume = roi.spacing[0] * roi.spacing[1] * roi.spacing[2];
  auto first = [&](const char* name, const char* id, double v) { out.push_back({"original", std::string("firstorder_") + name, id, "", v}); };
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
  const auto g = glcm_with_mcc(roi, s.force_2d ? GlcmAggregation::kInPlaneDirectionsAveraged
                                             : (s.merge_directions ? GlcmAggregation::kMerged3d : GlcmAggregation::kAveraged3d));
  const Names glcm_names = {"MaximumProbability", "JointAverage", "SumSquares", "JointEntropy",
                            "DifferenceAverage", "DifferenceVariance", "DifferenceEntropy", "SumAverage",
                            nullptr, "SumEntropy", "JointEnergy", "Contrast", nullptr, "Id", "Idn", "Idm",
                            "Idmn", "InverseVariance", "Correlation", "Autocorrelation", "ClusterTendency",
                            "ClusterShade", "ClusterProminence", "Imc1", "Imc2", "MCC"};
  // A flat region leaves correlation and IMC1 undefined (IBSI: NaN); PyRadiomics reports 1 and 0.
  auto glcm = g;
  if (glcm.size() > 23 && std::isnan(glcm[18])) glcm[18] = 1;
  if (glcm.size() > 23 && std::isnan(glcm[23])) glcm[23] = 0;
  for (size_t k = 0; k < glcm_names.size() && k < glcm.size(); ++k)
    if (glcm_names[k]) out.push_back(Feature{"original", std::string("glcm_") + glcm_names[k], "", "", glcm[k]});

  add_mapped(out, "glrlm", glrlm_features(roi), run_aggregation,
             {"ShortRunEmphasis", "LongRunEmphasis", "LowGrayLevelRunEmphasis", "HighGrayLevelRunEmphasis",
              "ShortRunLowGrayLevelEmphasis", "ShortRunHighGrayLevelEmphasis", "LongRunLowGrayLevelEmphasis",
              "LongRunHighGrayLevelEmphasis", "GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
              "RunLengthNonUniformity", "RunLengthNonUniformityNormalized", "RunPercentage", "GrayLevelVariance",
              "RunVariance", "RunEntropy"});
  add_mapped(out, "glszm", glszm_features(roi), zone_aggregation,
             {"SmallAreaEmphasis", "LargeAreaEmphasis", "LowGrayLevelZoneEmphasis", "HighGrayLevelZoneEmphasis",
              "SmallAreaLowGrayLevelEmphasis", "SmallAreaHighGrayLevelEmphasis", "LargeAreaLowGrayLevelEmphasis",
              "LargeAreaHighGrayLevelEmphasis", "GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
              "SizeZoneNonUniformity", "SizeZoneNonUniformityNormalized", "ZonePercentage", "GrayLevelVariance",
              "ZoneVariance", "ZoneEntropy"});
  add_mapped(out, "ngtdm", ngtdm_features(roi), zone_aggregation, {"Coarseness", "Contrast", "Busyness", "Complexity", "Strength"});
  add_mapped(out, "gldm", ngldm_features(roi), zone_aggregation,
             {"SmallDependenceEmphasis", "LargeDependenceEmphasis", "LowGrayLevelEmphasis", "HighGrayLevelEmphasis",
              "SmallDependenceLowGrayLevelEmphasis", "SmallDependenceHighGrayLevelEmphasis",
              "LargeDependenceLowGrayLevelEmphasis", "LargeDependenceHighGrayLevelEmphasis", "GrayLevelNonUniformity",
              nullptr, "DependenceNonUniformity", "DependenceNonUniformityNormalized", nullptr, "GrayLevelVariance",
              "DependenceVariance", "DependenceEntropy", nullptr});
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
