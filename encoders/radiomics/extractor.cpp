#include "encoders/radiomics/extractor.h"

#include <cmath>
#include <map>
#include <mutex>

#include "core/error.h"

#include "encoders/radiomics/first_order.h"
#include "encoders/radiomics/morphology.h"
#include "encoders/radiomics/resample.h"
#include "encoders/radiomics/shape2d.h"
#include "encoders/radiomics/texture.h"

namespace vbiopsy::encoders::radiomics {

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
  FeatureList out;
  // One feature list per image type, joined in order whatever the thread count.
  std::mutex guard;
  std::map<size_t, FeatureList> by_type;
  for_each_image_type(
      image, mask, settings.filters,
      [&](size_t order, const std::string& type, const core::Image& typed, const core::Mask& typed_mask) {
        const bool original = type == "original";
        FeatureList features;
        Roi roi = extract_roi(typed, typed_mask, settings.label);
        resegment(roi, settings.resegment_mode, settings.resegment_range);
        discretise(roi, settings.discretisation);
        auto wanted = [&](const char* family) {
          return settings.families.empty() || settings.families.count(family) > 0;
        };
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
        const std::lock_guard<std::mutex> lock(guard);
        by_type[order] = std::move(features);
      },
      nullptr, settings.threads);
  for (auto& [order, features] : by_type) out.insert(out.end(), features.begin(), features.end());
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
