#include "encoders/radiomics/extractor.h"

#include <cmath>
#include <map>
#include <mutex>

#include "core/error.h"

#include "encoders/radiomics/convolution/response_map.h"
#include "encoders/radiomics/first_order.h"
#include "encoders/radiomics/morphology.h"
#include "encoders/radiomics/resample.h"
#include "encoders/radiomics/shape2d.h"
#include "encoders/radiomics/texture.h"

namespace vbiopsy::encoders::radiomics {

namespace {

// The families asked for, of one image type's (re-segmented) region, named "<type>_<family>" for
// every type but the original.
FeatureList describe(const std::string& type, const core::Image& typed, Roi& roi, const ExtractionSettings& settings) {
  const bool original = type == "original";
  auto wanted = [&](const char* family) { return settings.families.empty() || settings.families.count(family) > 0; };
  // Grey levels only for the families that count them (intensity statistics read the intensities).
  for (const char* family : {"ih", "ivh", "glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"})
    if (wanted(family)) {
      discretise(roi, settings.discretisation);
      break;
    }
  FeatureList features;
  auto add = [&](FeatureList more) {
    for (auto& f : more) {
      if (!original) f.family = type + "_" + f.family;
      features.push_back(std::move(f));
    }
  };
  if (original && wanted("morph")) add(morphology(roi));
  // 2D shape only exists for single-slice regions (mammography, ultrasound).
  if (original && roi.size[2] == 1 && wanted("shape2d")) add(shape2d_features(roi));
  if (original && wanted("li")) add(local_intensity(typed, roi));
  if (wanted("stats")) add(intensity_statistics(roi));
  if (wanted("ih")) add(intensity_histogram(roi));
  if (wanted("ivh")) add(intensity_volume_histogram(roi));
  if (wanted("glcm")) add(glcm_features(roi));
  if (wanted("glrlm")) add(glrlm_features(roi));
  if (wanted("glszm")) add(glszm_features(roi));
  if (wanted("gldzm")) add(gldzm_features(roi));
  if (wanted("ngtdm")) add(ngtdm_features(roi));
  if (wanted("ngldm")) add(ngldm_features(roi));
  return features;
}

// The region's voxels that re-segmentation keeps, on the unfiltered image, as a 0/1 mask.
core::Mask resegmented_region(const core::Image& image, const core::Mask& mask, const ExtractionSettings& settings) {
  Roi roi = extract_roi(image, mask, settings.label);
  resegment(roi, settings.resegment_mode, settings.resegment_range);
  core::Mask region(image.geometry);
  size_t i = 0;
  for (size_t z = 0; z < roi.size[2]; ++z)
    for (size_t y = 0; y < roi.size[1]; ++y)
      for (size_t x = 0; x < roi.size[0]; ++x, ++i)
        if (roi.in_roi[i]) region.at(roi.offset[0] + x, roi.offset[1] + y, roi.offset[2] + z) = 1;
  return region;
}

// IBSI: intensities of integer modalities (CT in HU) are rounded after interpolation.
core::Image rounded(core::Image image) {
  for (float& v : image.voxels) v = std::nearbyint(v);
  return image;
}

}  // namespace

FeatureList extract_features(const core::Image& image, const core::Mask& mask, const ExtractionSettings& settings) {
  static const std::set<std::string> kFamilies = {"morph", "shape2d", "li",    "stats", "ih",    "ivh",
                                                  "glcm",  "glrlm",   "glszm", "gldzm", "ngtdm", "ngldm"};
  for (const auto& family : settings.families)
    if (!kFamilies.count(family))
      core::fail("unknown feature family '", family,
                 "'; known: morph, shape2d, li, stats, ih, ivh, glcm, glrlm, glszm, gldzm, ngtdm, ngldm");
  if (settings.normalize || settings.force_2d || settings.merge_directions)
    core::fail(
        "normalize, force2D and weightingNorm belong to --compat pyradiomics; the IBSI convention reports "
        "every aggregation and leaves normalisation to the caller");
  // The other PyRadiomics-only settings would be ignored here, so a value other than their default is refused.
  if (settings.voxel_array_shift != 0 || settings.pad_distance != 5 || settings.normalize_scale != 1)
    core::fail("voxelArrayShift = ", settings.voxel_array_shift, ", padDistance = ", settings.pad_distance,
               ", normalizeScale = ", settings.normalize_scale,
               ": these belong to --compat pyradiomics (defaults 0, 5, 1); the IBSI convention has no use for them");
  if (!settings.resampled_spacing.empty()) {
    if (settings.resampled_spacing.size() != 3) core::fail("resampledPixelSpacing needs 3 values");
    auto [image_r, mask_r] =
        resample_ibsi(image, mask, settings.label,
                      {settings.resampled_spacing[0], settings.resampled_spacing[1], settings.resampled_spacing[2]},
                      settings.bspline ? Interpolation::kBSpline : Interpolation::kLinear);
    ExtractionSettings rest = settings;
    rest.resampled_spacing.clear();
    rest.label = 1;
    return extract_features(image_r, mask_r, rest);
  }
  if (settings.round_intensities) {
    ExtractionSettings rest = settings;
    rest.round_intensities = false;
    return extract_features(rounded(image), mask, rest);
  }
  FeatureList out;
  // One feature list per image type, joined in order whatever the thread count.
  std::mutex guard;
  std::map<size_t, FeatureList> by_type;
  for_each_image_type(
      image, mask, settings.filters,
      [&](size_t order, const std::string& type, const core::Image& typed, const core::Mask& typed_mask) {
        Roi roi = extract_roi(typed, typed_mask, settings.label);
        resegment(roi, settings.resegment_mode, settings.resegment_range);
        FeatureList features = describe(type, typed, roi, settings);
        const std::lock_guard<std::mutex> lock(guard);
        by_type[order] = std::move(features);
      },
      nullptr, settings.threads);
  for (auto& [order, features] : by_type) out.insert(out.end(), features.begin(), features.end());
  if (settings.filters.convolution.empty()) return out;
  // IBSI 2 filters: the region is re-segmented on the unfiltered intensities once, then described
  // on each response map (filtered over the whole image, so the boundary condition applies at the
  // image's edge, not the region's).
  const core::Mask region = resegmented_region(image, mask, settings);
  for (const auto& [name, spec] : settings.filters.convolution) {
    const core::Image response = convolution::response_map(image, spec);
    Roi roi = extract_roi(response, region);
    FeatureList features = describe(name, response, roi, settings);
    out.insert(out.end(), features.begin(), features.end());
  }
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
