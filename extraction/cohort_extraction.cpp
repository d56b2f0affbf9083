#include "extraction/cohort_extraction.h"

#include <mutex>

#include "core/error.h"
#include "core/files.h"
#include "core/parallel.h"
#include "core/warnings.h"
#include "extraction/block_cache.h"
#include "extraction/case_blocks.h"
#include "extraction/features_csv.h"
#include "extraction/habitat_pass.h"
#include "modalities/image_io.h"

namespace vbiopsy::extraction {
namespace fs = std::filesystem;

CohortExtractionResult extract_cohort(const datasets::Cohort& cohort, const CohortExtractionSettings& settings,
                                      const fs::path& out, const std::function<void(size_t, size_t)>& progress) {
  const core::FolderLock lock(out, "vbiopsy extract");  // one extraction per folder and cache at a time
  core::remove_stale_temporaries(out);
  BlockCache cache(out / "cache", settings);
  modalities::prepare_itk_for_threads();

  HabitatPass habitats = habitat_pass(cohort, settings, out);
  const size_t n = cohort.cases.size();
  std::vector<std::vector<Block>> blocks(n);
  auto& failures = habitats.failures;
  auto& warnings = habitats.warnings;
  std::mutex progress_mutex;
  size_t done = 0;
  core::parallel_for(n, settings.threads, [&](size_t i) {
    const auto& c = cohort.cases[i];
    core::WarningCollector case_warnings;
    for (const auto& w : warnings[i]) case_warnings.add(w);  // from the habitat pass
    // Each modality whole or not at all: a failure names the case and modality.
    auto add = [&](const char* modality, const ModalityInputs& inputs, auto&& compute) {
      try {
        for (auto& block : cache.modality(modality, inputs.values, inputs.files, compute))
          blocks[i].push_back(std::move(block));
      } catch (const core::Error& e) {
        failures[i].push_back({c.case_id, modality, e.what()});
      }
    };
    if (c.mri) {
      const CaseHabitats case_habitats{habitats.labels[i] ? &*habitats.labels[i] : nullptr, habitats.habitats,
                                       habitat_label_file(out, c.case_id),
                                       habitats.registration[i] ? &*habitats.registration[i] : nullptr};
      add("MRI", mri_inputs(*c.mri, case_habitats), [&] { return mri_blocks(*c.mri, settings, case_habitats, cache); });
    }
    if (c.mammography)
      add("mammography", mammography_inputs(*c.mammography),
          [&] { return mammography_blocks(*c.mammography, settings, cache); });
    if (c.ultrasound)
      add("ultrasound", ultrasound_inputs(*c.ultrasound),
          [&] { return ultrasound_blocks(*c.ultrasound, settings, cache); });
    warnings[i] = case_warnings.messages();
    if (progress) {
      std::lock_guard guard(progress_mutex);
      progress(++done, n);
    }
  });
  write_features_csv(out / "features.csv", cohort, blocks, block_order(settings, habitats.habitats));

  CohortExtractionResult result;
  result.cases = n;
  result.computed = cache.computed();
  result.from_cache = cache.from_cache();
  for (const auto& f : failures) result.failures.insert(result.failures.end(), f.begin(), f.end());
  for (size_t i = 0; i < n; ++i)
    for (const auto& w : warnings[i]) result.warnings.emplace_back(cohort.cases[i].case_id, w);
  return result;
}

}  // namespace vbiopsy::extraction
