#include "extraction/case_blocks.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/strings.h"
#include "encoders/radiomics/regions.h"
#include "extraction/features_csv.h"
#include "extraction/inputs.h"
#include "extraction/mri_maps.h"
#include "modalities/mri/kinetics.h"
#include "modalities/mri/tofts.h"

namespace vbiopsy::extraction {
namespace fs = std::filesystem;
using encoders::radiomics::peritumoral_ring;

namespace {

template <class Values>
std::string listed(const Values& values) {
  std::string text;
  for (const auto& v : values) text += core::concat(v, ";");
  return text;
}

// Tumour means of Ktrans, kep, ve and vp over the fitted voxels, and the failed fraction. TR and
// flip angle come from the DCE DICOM where present, else from the settings.
Block tofts_block(const modalities::LoadedMri& mri, const CohortExtractionSettings& settings) {
  auto acquisition = settings.acquisition;
  if (mri.repetition_time_s) acquisition.tr_s = *mri.repetition_time_s;
  if (mri.flip_angle_deg) acquisition.flip_angle_deg = *mri.flip_angle_deg;
  const auto maps =
      modalities::mri::fit_tofts_maps(mri.dce, mri.dce_times_s, mri.mask, acquisition, settings.extended_tofts);
  Block tofts{"mri_tofts", {}};
  for (auto [name, map] : {std::pair{"ktrans", &maps.ktrans}, std::pair{"kep", &maps.kep}, std::pair{"ve", &maps.ve},
                           std::pair{"vp", &maps.vp}}) {
    double sum = 0;
    for (size_t v = 0; v < map->voxels.size(); ++v)
      if (mri.mask.voxels[v] && !maps.failed.voxels[v]) sum += map->voxels[v];
    tofts.values.emplace_back(std::string(name) + "_mean", maps.fitted_voxels ? sum / double(maps.fitted_voxels) : NAN);
  }
  tofts.values.emplace_back(
      "failed_fraction",
      double(maps.failed_voxels) / double(std::max<size_t>(1, maps.failed_voxels + maps.fitted_voxels)));
  return tofts;
}

// T2 and ADC radiomics jobs (tumour and rings) on the DCE grid, where the case has them. `adc`
// keeps a fitted ADC map alive for the jobs; reader2(width_mm) is the second reader's region.
template <class Reader2>
void add_sequence_jobs(const datasets::MriStudy& study, const modalities::LoadedMri& mri,
                       const CohortExtractionSettings& settings, const Reader2& reader2,
                       std::optional<core::Image>& adc, std::vector<Job>& jobs) {
  for (const auto& sequence : settings.sequences) {
    const core::Image* image = nullptr;
    std::vector<fs::path> sources{study.mask};
    if (sequence == "t2" && mri.t2) {
      image = &*mri.t2;
      sources.push_back(*study.t2);
    } else if (sequence == "adc") {
      if (mri.adc)
        adc = *mri.adc;
      else if (mri.dwi.size() >= 2)
        adc = modalities::mri::fit_adc(mri.dwi, mri.dwi_b_values).adc;
      if (adc) image = &*adc;
      if (study.adc) sources.push_back(*study.adc);
      for (const auto& dwi : study.dwi) sources.push_back(dwi);
    }
    if (!image) continue;
    // A fitted ADC is undefined where a signal is not positive: those voxels leave the region.
    auto finite = [&](core::Mask region) {
      for (size_t v = 0; v < region.voxels.size(); ++v)
        region.voxels[v] = region.voxels[v] && std::isfinite(image->voxels[v]);
      return region;
    };
    auto add = [&](std::string name, core::Mask region, std::string label, std::optional<core::Mask> second) {
      region = finite(std::move(region));
      if (second) second = finite(std::move(*second));
      if (std::find(region.voxels.begin(), region.voxels.end(), 1) != region.voxels.end())
        jobs.push_back({std::move(name), image, std::move(region), sources, std::move(label), std::move(second),
                        study.mask_reader2});
    };
    add("mri_" + sequence + "_tumour", mri.mask, "tumour", reader2(0));
    for (double r : settings.rings_mm)
      add(ring_block_name(sequence, r), peritumoral_ring(mri.mask, r), core::concat("ring", r), reader2(r));
  }
}

}  // namespace

ModalityInputs mri_inputs(const datasets::MriStudy& m, const CaseHabitats& habitats) {
  ModalityInputs in;
  in.values = core::concat("dce=", m.dce.size(), ";times=", listed(m.dce_times_s), "t2=", m.t2.has_value(),
                           ";dwi=", m.dwi.size(), ";b=", listed(m.dwi_b_values), "adc=", m.adc.has_value(),
                           ";reader2=", m.mask_reader2.has_value(), ";habitats=", habitats.labels ? habitats.count : 0,
                           ";registration=");
  if (habitats.registration)
    for (const auto& [name, value] : *habitats.registration) in.values += name + "=" + core::format_double(value) + ",";
  in.files = m.dce;
  for (const auto& file : {m.t2, m.adc, std::optional(m.mask), m.mask_reader2})
    if (file) in.files.push_back(*file);
  in.files.insert(in.files.end(), m.dwi.begin(), m.dwi.end());
  if (habitats.labels) in.files.push_back(habitats.label_file);
  return in;
}

ModalityInputs mammography_inputs(const datasets::Mammography& mammography) {
  ModalityInputs in;
  for (const auto& view : mammography.views) {
    in.values += core::concat(
        view.view, ":mask=", view.mask.has_value(), ":box=",
        view.box ? core::concat(view.box->x, ",", view.box->y, ",", view.box->width, ",", view.box->height) : "-", ";");
    in.files.push_back(view.image);
    if (view.mask) in.files.push_back(*view.mask);
  }
  return in;
}

ModalityInputs ultrasound_inputs(const datasets::Ultrasound& us) {
  return {core::concat("frames=", us.frames.size(), ";masks=", us.masks.size()),
          us.frames.empty() || us.masks.empty() ? std::vector<fs::path>{}
                                                : std::vector<fs::path>{us.frames[0], us.masks[0]}};
}

std::vector<Block> mri_blocks(const datasets::MriStudy& study, const CohortExtractionSettings& settings,
                              const CaseHabitats& habitats, BlockCache& cache) {
  std::vector<Block> blocks;
  // The radiomics below use the DCE only, which registration leaves untouched.
  const bool register_now = settings.register_sequences && !habitats.registration;
  const auto registered = load_registered(study, settings, register_now);
  const auto& mri = registered.mri;
  if (settings.register_sequences) {
    Block registration{"mri_registration", {}};
    for (const auto& [name, value] : register_now ? registered.metrics : *habitats.registration)
      registration.values.emplace_back(name, value);
    blocks.push_back(std::move(registration));
  }
  std::vector<fs::path> sources = study.dce.size() == 1 ? study.dce : std::vector<fs::path>{study.dce[1]};
  sources.push_back(study.mask);
  // The second reader's version of a region: the tumour, or a ring (width_mm > 0) around it.
  auto reader2 = [&](double width_mm) -> std::optional<core::Mask> {
    if (settings.retest != "reader2" || !mri.mask_reader2) return std::nullopt;
    return width_mm > 0 ? peritumoral_ring(*mri.mask_reader2, width_mm) : *mri.mask_reader2;
  };
  const auto reader2_source = study.mask_reader2;
  std::vector<Job> jobs{{"mri_dce1_tumour", &mri.dce[1], mri.mask, sources, "tumour", reader2(0), reader2_source}};
  for (double r : settings.rings_mm)
    jobs.push_back({ring_block_name("dce1", r), &mri.dce[1], peritumoral_ring(mri.mask, r), sources,
                    core::concat("ring", r), reader2(r), reader2_source});
  std::optional<core::Image> adc;
  add_sequence_jobs(study, mri, settings, reader2, adc, jobs);
  if (habitats.labels) {
    Block fractions{"mri_habitats", {}};
    const auto f = modalities::mri::habitat_fractions(*habitats.labels, habitats.count);
    auto habitat_sources = sources;
    habitat_sources.push_back(habitats.label_file);
    for (int h = 1; h <= habitats.count; ++h) {
      fractions.values.emplace_back(core::concat("habitat_", h, "_fraction"), f[size_t(h - 1)]);
      core::Mask region(habitats.labels->geometry);
      size_t count = 0;
      for (size_t v = 0; v < region.voxels.size(); ++v) count += region.voxels[v] = habitats.labels->voxels[v] == h;
      if (count > 0)
        jobs.push_back({core::concat("mri_dce1_habitat", h), &mri.dce[1], std::move(region), habitat_sources,
                        core::concat("habitat", h), std::nullopt, std::nullopt});
    }
    blocks.push_back(std::move(fractions));
  }
  if (settings.tofts) blocks.push_back(tofts_block(mri, settings));
  if (settings.kinetics) {
    Block kinetics{"mri_kinetics", {}};
    for (auto& [name, value] :
         modalities::mri::summarise(modalities::mri::compute_kinetics(mri.dce, mri.dce_times_s), mri.mask).values)
      kinetics.values.emplace_back(name, value);
    blocks.push_back(std::move(kinetics));
  }
  for (auto& block : cache.radiomics(std::move(jobs))) blocks.push_back(std::move(block));
  return blocks;
}

std::vector<Block> mammography_blocks(const datasets::Mammography& mammography,
                                      const CohortExtractionSettings& settings, BlockCache& cache) {
  const auto views = load_mammography_for_extraction(mammography, settings);
  std::vector<Job> jobs;
  for (size_t v = 0; v < views.size(); ++v) {
    const auto& view = mammography.views[v];
    std::vector<fs::path> sources{view.image};
    if (view.mask) sources.push_back(*view.mask);
    jobs.push_back(
        {"mg_" + core::to_lower(views[v].view) + "_tumour", &views[v].image, views[v].mask, sources,
         view.box ? core::concat("box", view.box->x, ",", view.box->y, ",", view.box->width, ",", view.box->height)
                  : "tumour",
         std::nullopt, std::nullopt});
  }
  return cache.radiomics(std::move(jobs));
}

std::vector<Block> ultrasound_blocks(const datasets::Ultrasound& ultrasound, const CohortExtractionSettings& settings,
                                     BlockCache& cache) {
  const auto us = load_ultrasound_for_extraction(ultrasound, settings);
  return cache.radiomics({{"us_tumour",
                           &us.frames[0],
                           us.masks[0],
                           {ultrasound.frames[0], ultrasound.masks[0]},
                           "frame1",
                           std::nullopt,
                           std::nullopt}});
}

}  // namespace vbiopsy::extraction
