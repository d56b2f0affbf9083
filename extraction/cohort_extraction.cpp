#include "extraction/cohort_extraction.h"

#include <mutex>
#include <nlohmann/json.hpp>

#include "cluster/job.h"
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

namespace {

// What a pass over some of the cases produced.
struct Pass {
  std::vector<std::vector<Block>> blocks;  // per case
  std::vector<std::vector<datasets::Problem>> failures;
  std::vector<std::vector<std::string>> warnings;
};

// Every modality of the cases `which`, each computed or read from the cache, on settings.threads.
Pass extract_cases(const datasets::Cohort& cohort, const std::vector<size_t>& which,
                   const CohortExtractionSettings& settings, const fs::path& out, HabitatPass& habitats,
                   BlockCache& cache, const std::function<void()>& case_done) {
  const size_t n = cohort.cases.size();
  Pass pass{std::vector<std::vector<Block>>(n), habitats.failures, habitats.warnings};
  std::mutex progress_mutex;
  core::parallel_for(which.size(), settings.threads, [&](size_t k) {
    const size_t i = which[k];
    const auto& c = cohort.cases[i];
    core::WarningCollector case_warnings;
    for (const auto& w : pass.warnings[i]) case_warnings.add(w);  // from the habitat pass
    // Each modality whole or not at all: a failure names the case and modality.
    auto add = [&](const char* modality, const ModalityInputs& inputs, auto&& compute) {
      try {
        for (auto& block : cache.modality(modality, inputs.values, inputs.files, compute))
          pass.blocks[i].push_back(std::move(block));
      } catch (const core::Error& e) {
        pass.failures[i].push_back({c.case_id, modality, e.what()});
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
    pass.warnings[i] = case_warnings.messages();
    if (case_done) {
      std::lock_guard guard(progress_mutex);
      case_done();
    }
  });
  return pass;
}

// One rank's report to rank 0: the warnings of the cases it loaded and its cache counts.
std::string rank_report(const std::vector<size_t>& share, const Pass& pass, const BlockCache& cache) {
  nlohmann::json report = {{"computed", cache.computed()}, {"from_cache", cache.from_cache()}};
  for (const size_t i : share) report["warnings"].push_back({i, pass.warnings[i]});
  return report.dump();
}

}  // namespace

CohortExtractionResult extract_cohort(const datasets::Cohort& cohort, const CohortExtractionSettings& settings,
                                      const fs::path& out, const std::function<void(size_t, size_t)>& progress) {
  auto& job = cluster::job();
  // One extraction per folder and cache at a time; the ranks of a job share rank 0's lock.
  const auto lock = cluster::lock_folder_for_job(out, "vbiopsy extract");
  BlockCache cache(out / "cache", settings);
  modalities::prepare_itk_for_threads();

  // The cohort habitat model is fitted on every case; each rank fits the same one (same seed).
  HabitatPass habitats = habitat_pass(cohort, settings, out);
  job.barrier();  // rank 0 has written the label maps, which every rank's radiomics pass reads
  const size_t n = cohort.cases.size();
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  // Progress: the cases of this process's pass (in a job, rank 0's share).
  size_t done = 0, total = n;
  auto case_done = [&] {
    if (progress && job.rank() == 0) progress(++done, total);
  };

  CohortExtractionResult result;
  result.cases = n;
  std::vector<std::vector<std::string>> warnings;
  if (job.size() > 1) {
    // Each rank computes its share of the cases into the shared cache; rank 0 then writes the table
    // from the cache by the same pass a single process runs, so the table is the same bytes.
    std::vector<double> costs(n);
    for (size_t i = 0; i < n; ++i) costs[i] = 1 + datasets::input_bytes(cohort.cases[i]);
    const auto share = cluster::share_of_this_rank(costs);
    total = share.size();
    const Pass mine = extract_cases(cohort, share, settings, out, habitats, cache, case_done);
    const auto reports = job.gather(rank_report(share, mine, cache));
    result.computed = cache.computed();
    result.from_cache = cache.from_cache();
    if (job.rank() != 0) {
      job.barrier();  // returns once rank 0 has written the table, which a caller may read next
      return result;
    }
    warnings = habitats.warnings;
    result.computed = result.from_cache = 0;
    for (const auto& text : reports) {
      const auto report = nlohmann::json::parse(text);
      result.computed += report["computed"].get<size_t>();
      result.from_cache += report["from_cache"].get<size_t>();
      for (const auto& entry : report["warnings"]) warnings[entry[0].get<size_t>()] = entry[1];
    }
  }
  const size_t computed_before = cache.computed();
  Pass table = extract_cases(cohort, all, settings, out, habitats, cache,
                             job.size() == 1 ? std::function<void()>(case_done) : nullptr);
  write_features_csv(out / "features.csv", cohort, table.blocks, block_order(settings, habitats.habitats));
  if (job.size() == 1) {
    result.computed = cache.computed();
    result.from_cache = cache.from_cache();
    warnings = table.warnings;
  } else {
    result.computed += cache.computed() - computed_before;  // what failed on its rank was tried again here
    job.barrier();
  }
  for (const auto& f : table.failures) result.failures.insert(result.failures.end(), f.begin(), f.end());
  for (size_t i = 0; i < n; ++i)
    for (const auto& w : warnings[i]) result.warnings.emplace_back(cohort.cases[i].case_id, w);
  return result;
}

}  // namespace vbiopsy::extraction
