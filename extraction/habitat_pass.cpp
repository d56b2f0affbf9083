#include "extraction/habitat_pass.h"

#include "cluster/job.h"
#include "core/error.h"
#include "core/csv.h"
#include "core/files.h"
#include "core/parallel.h"
#include "core/strings.h"
#include "core/warnings.h"
#include "extraction/mri_maps.h"
#include "modalities/image_io.h"
#include "modalities/mri/overlay.h"

namespace vbiopsy::extraction {
namespace fs = std::filesystem;

fs::path habitat_label_file(const fs::path& out, const std::string& case_id) {
  return out / case_id / "mri" / "habitats.nii.gz";
}

HabitatPass habitat_pass(const datasets::Cohort& cohort, const CohortExtractionSettings& settings,
                         const fs::path& out) {
  const size_t n = cohort.cases.size();
  HabitatPass pass;
  pass.labels.resize(n);
  pass.registration.resize(n);
  pass.failures.resize(n);
  pass.warnings.resize(n);
  if (!settings.habitats) return pass;
  std::vector<std::optional<modalities::mri::CaseVoxels>> voxels(n);
  std::vector<std::optional<core::Image>> dce1(n);
  core::parallel_for(n, settings.threads, [&](size_t i) {
    const auto& c = cohort.cases[i];
    if (!c.mri) return;
    core::WarningCollector case_warnings;
    try {
      const auto registered = load_registered(*c.mri, settings, settings.register_sequences);
      if (settings.register_sequences) pass.registration[i] = registered.metrics;
      voxels[i] = habitat_voxels(c.case_id, registered.mri, settings);
      dce1[i] = registered.mri.dce[1];
    } catch (const core::Error& e) {
      pass.failures[i].push_back({c.case_id, "MRI habitats", e.what()});
    }
    pass.warnings[i] = case_warnings.messages();
  });
  std::vector<modalities::mri::CaseVoxels> all;
  for (auto& v : voxels)
    if (v) all.push_back(*v);
  if (all.empty()) return pass;
  const auto& options = settings.habitat_options;
  const auto model = modalities::mri::fit_habitat_model(all, options, settings.threads);
  pass.habitats = model.habitats();
  std::string record = core::csv_line({"habitats", "k_tried", "criterion", "training_cases"});
  const int first_k = options.fixed_habitats > 0 ? options.fixed_habitats : options.min_habitats;
  for (size_t k = 0; k < model.criterion_values.size(); ++k)
    record += core::csv_line({std::to_string(pass.habitats), std::to_string(first_k + int(k)),
                              core::format_double(model.criterion_values[k]), std::to_string(all.size())});
  core::parallel_for(n, settings.threads, [&](size_t i) {
    if (voxels[i]) pass.labels[i] = modalities::mri::apply_habitat_model(model, *voxels[i], options);
  });
  // Every rank of a job fits the same model; rank 0 alone writes the files (the caller makes the
  // others wait for them). They are written on this thread: ITK's NIfTI writer sets the nifti
  // library's global options on every use (helgrind reports the race between two writing threads)
  // and a rank crashed inside OpenCV's encoder while two threads wrote overlays; writing costs
  // little next to the pass.
  if (cluster::job().rank() == 0) {
    core::write_file_atomic(out / "habitat_model.csv", record);
    for (size_t i = 0; i < n; ++i) {
      if (!pass.labels[i]) continue;
      const std::string& id = cohort.cases[i].case_id;
      modalities::write_mask(*pass.labels[i], habitat_label_file(out, id));
      modalities::mri::write_habitat_overlay(*dce1[i], *pass.labels[i], pass.habitats,
                                             out / id / "mri" / "habitats_overlay.png");
    }
  }
  return pass;
}

}  // namespace vbiopsy::extraction
