#include "extraction/inputs.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "core/error.h"
#include "core/warnings.h"
#include "core/strings.h"
#include "extraction/mri_maps.h"

namespace vbiopsy::extraction {
namespace fs = std::filesystem;

namespace {

// What the settings need of the study beyond what loading checked (two DCE phases, grids, masks).
void check_mri_requirements(const modalities::LoadedMri& mri, const datasets::MriStudy& study,
                            const CohortExtractionSettings& s) {
  const std::string dce = study.dce.front().string();
  const size_t phases = mri.dce.size();
  auto need_phases = [&](const char* what) {
    if (phases < 3)
      core::fail(dce, ": ", phases, " DCE phases, but ", what,
                 " needs a pre-contrast and at least two post-contrast phases "
                 "(set it off in the extraction settings, or give the case's other phases)");
  };
  if (s.kinetics) need_phases("[mri] kinetics");
  if (s.tofts) need_phases("[mri] tofts");
  const bool has_adc = mri.adc.has_value() || mri.dwi.size() >= 2;
  if (s.habitats)
    for (const auto& map : s.habitat_maps) {
      if (is_kinetic_map(map))
        need_phases(("[habitats] map " + map).c_str());
      else if (map == "adc" && !has_adc)
        core::fail(
            dce,
            ": [habitats] map adc needs an ADC map (mri_adc) or DWI with two or more b-values; the case has neither");
      else if (map == "t2" && !mri.t2)
        core::fail(dce, ": [habitats] map t2 needs a T2-weighted image (mri_t2); the case has none");
      else if (is_phase_map(map) &&
               core::parse_int(map.substr(3)).value_or(LLONG_MAX) >= static_cast<long long>(phases))
        core::fail(dce, ": [habitats] map ", map, " needs DCE phase ", map.substr(3),
                   " (counted from 0); the case has ", phases, " phases");
    }
  for (const auto& sequence : s.sequences) {
    if (sequence == "t2" && !mri.t2)
      core::warn(dce + ": no T2-weighted image, so the mri_t2_* columns of this case stay empty");
    if (sequence == "adc" && !has_adc)
      core::warn(dce +
                 ": no ADC map and fewer than two DWI b-values, so the mri_adc_* columns of this case stay empty");
  }
  const auto& image = mri.dce[1];
  size_t non_finite = 0;
  for (size_t v = 0; v < image.voxels.size(); ++v) non_finite += mri.mask.voxels[v] && !std::isfinite(image.voxels[v]);
  if (non_finite > 0)
    core::fail(study.dce.size() == 1 ? dce : study.dce[1].string(), ": ", non_finite,
               " voxels of the first post-contrast phase inside the tumour mask are not finite (NaN or Inf)");
}

}  // namespace

modalities::LoadedMri load_mri_for_extraction(const datasets::MriStudy& study,
                                              const CohortExtractionSettings& settings) {
  auto mri = modalities::load_mri(study);
  // Every check runs, so that one look lists all that is wrong with the study.
  std::vector<std::string> problems;
  auto attempt = [&](auto&& check) {
    try {
      check();
    } catch (const core::Error& e) {
      problems.push_back(e.what());
    }
  };
  attempt([&] { mri.mask = select_region(mri.mask, study.mask, settings.radiomics); });
  if (mri.mask_reader2)
    attempt([&] { mri.mask_reader2 = select_region(*mri.mask_reader2, *study.mask_reader2, settings.radiomics); });
  attempt([&] { check_mri_requirements(mri, study, settings); });
  if (!problems.empty()) core::fail(core::join(problems, "; "));
  return mri;
}

std::vector<modalities::LoadedMammographyView> load_mammography_for_extraction(
    const datasets::Mammography& mammography, const CohortExtractionSettings& settings) {
  auto views = modalities::load_mammography(mammography);
  for (size_t v = 0; v < views.size(); ++v)
    if (const auto& file = mammography.views[v].mask)
      views[v].mask = select_region(views[v].mask, *file, settings.radiomics);
  return views;
}

modalities::LoadedUltrasound load_ultrasound_for_extraction(const datasets::Ultrasound& ultrasound,
                                                            const CohortExtractionSettings& settings) {
  auto us = modalities::load_ultrasound(ultrasound);
  for (size_t f = 0; f < us.masks.size(); ++f)
    us.masks[f] = select_region(us.masks[f], ultrasound.masks.size() == 1 ? ultrasound.masks[0] : ultrasound.masks[f],
                                settings.radiomics);
  return us;
}

modalities::CaseLoaders extraction_loaders(const CohortExtractionSettings& settings) {
  return {
      [settings](const datasets::MriStudy& study) { load_mri_for_extraction(study, settings); },
      [settings](const datasets::Mammography& mammography) { load_mammography_for_extraction(mammography, settings); },
      [settings](const datasets::Ultrasound& ultrasound) { load_ultrasound_for_extraction(ultrasound, settings); }};
}

}  // namespace vbiopsy::extraction
