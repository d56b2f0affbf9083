#include "extraction/mri_maps.h"

#include <algorithm>
#include <optional>

#include "core/error.h"
#include "core/strings.h"
#include "encoders/radiomics/regions.h"
#include "extraction/inputs.h"
#include "modalities/mri/kinetics.h"
#include "modalities/mri/registration.h"

namespace vbiopsy::extraction {
namespace {

using modalities::mri::KineticMaps;
constexpr std::pair<const char*, core::Image KineticMaps::*> kKineticMaps[] = {
    {"pe", &KineticMaps::peak_enhancement}, {"ttp", &KineticMaps::time_to_peak},
    {"me", &KineticMaps::mean_enhancement}, {"ie", &KineticMaps::initial_enhancement},
    {"wash_in", &KineticMaps::wash_in},     {"ser", &KineticMaps::ser},
    {"wash_out", &KineticMaps::wash_out},   {"auc60", &KineticMaps::auc60},
    {"auc90", &KineticMaps::auc90}};

// The named voxel maps of one MRI study, all on the DCE grid.
struct MriMaps {
  KineticMaps kinetics;
  std::optional<core::Image> adc;
  const core::Image* get(const std::string& name, const modalities::LoadedMri& mri, const std::string& case_id) const {
    for (auto [n, member] : kKineticMaps)
      if (name == n) return &(kinetics.*member);
    if (name == "adc") {
      if (!adc) core::fail("case ", case_id, ": habitat map 'adc' needs an ADC map or DWI with two or more b-values");
      return &*adc;
    }
    if (name == "t2") {
      if (!mri.t2) core::fail("case ", case_id, ": habitat map 't2' needs a T2-weighted image");
      return &*mri.t2;
    }
    if (is_phase_map(name)) {
      const auto phase = core::parse_int(name.substr(3));  // dce0 = pre-contrast, dce2 = second post-contrast phase
      if (!phase || *phase < 0 || static_cast<unsigned long long>(*phase) >= mri.dce.size())
        core::fail("case ", case_id, ": habitat map '", name, "': the DCE has ", mri.dce.size(), " phases");
      return &mri.dce[static_cast<size_t>(*phase)];
    }
    core::fail("unknown habitat map '", name,
               "'; known: pe, ttp, me, ie, wash_in, ser, wash_out, auc60, auc90, adc, t2, dce<phase>");
  }
};

MriMaps mri_maps(const modalities::LoadedMri& mri) {
  MriMaps maps{modalities::mri::compute_kinetics(mri.dce, mri.dce_times_s), std::nullopt};
  if (mri.adc)
    maps.adc = *mri.adc;
  else if (mri.dwi.size() >= 2)
    maps.adc = modalities::mri::fit_adc(mri.dwi, mri.dwi_b_values).adc;
  return maps;
}

}  // namespace

bool is_kinetic_map(const std::string& name) {
  return std::any_of(std::begin(kKineticMaps), std::end(kKineticMaps),
                     [&](const auto& map) { return name == map.first; });
}

bool is_phase_map(const std::string& name) {
  return name.size() > 3 && name.rfind("dce", 0) == 0 && std::all_of(name.begin() + 3, name.end(), ::isdigit);
}

RegisteredMri load_registered(const datasets::MriStudy& study, const CohortExtractionSettings& settings,
                              bool register_sequences) {
  RegisteredMri out{load_mri_for_extraction(study, settings), {}};
  if (!register_sequences) return out;
  auto& mri = out.mri;
  if (mri.t2) {
    const auto r = modalities::mri::register_rigid(mri.dce[0], *mri.t2);
    mri.t2 = r.moved;
    out.metrics.emplace_back("t2_mattes_mi", r.final_metric);
  }
  if (!mri.adc && mri.dwi.size() >= 2) mri.adc = modalities::mri::fit_adc(mri.dwi, mri.dwi_b_values).adc;
  if (mri.adc) {
    const auto r = modalities::mri::register_rigid(mri.dce[0], *mri.adc);
    mri.adc = r.moved;
    out.metrics.emplace_back("adc_mattes_mi", r.final_metric);
  }
  return out;
}

modalities::mri::CaseVoxels habitat_voxels(const std::string& case_id, const modalities::LoadedMri& mri,
                                           const CohortExtractionSettings& settings) {
  const MriMaps maps = mri_maps(mri);
  std::vector<const core::Image*> chosen;
  for (auto& name : settings.habitat_maps) chosen.push_back(maps.get(name, mri, case_id));
  core::Mask region = mri.mask;
  if (settings.habitat_ring_mm > 0) {
    const core::Mask ring = encoders::radiomics::peritumoral_ring(mri.mask, settings.habitat_ring_mm);
    for (size_t v = 0; v < region.voxels.size(); ++v) region.voxels[v] = region.voxels[v] || ring.voxels[v];
  }
  return modalities::mri::case_voxels(case_id, chosen, region);
}

modalities::mri::CaseVoxels habitat_voxels(const datasets::Case& c, const CohortExtractionSettings& settings) {
  if (!c.mri) core::fail("case ", c.case_id, ": habitats need an MRI study");
  return habitat_voxels(c.case_id, load_registered(*c.mri, settings, settings.register_sequences).mri, settings);
}

}  // namespace vbiopsy::extraction
