#include <unistd.h>

#include <iostream>

#include "cluster/job.h"
#include "core/csv.h"
#include "core/files.h"
#include "core/parallel.h"
#include "extraction/cohort_extraction.h"
#include "extraction/inputs.h"
#include "encoders/radiomics/settings.h"
#include "modalities/cohort_check.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

namespace {

int extract(const ExtractArgs& a) {
  // In an MPI job every rank checks and extracts its share of the cases; rank 0 writes the records
  // and the table and speaks for the job.
  const bool speaks = cluster::job().rank() == 0;
  extraction::CohortExtractionSettings settings;
  if (a.config.empty())
    settings.radiomics = encoders::radiomics::default_settings();
  else
    settings = extraction::read_cohort_extraction_settings(a.config);
  settings.threads = a.threads;
  // The preflight: every case loaded and checked against the settings before any extraction.
  auto checked = modalities::load_checked_cohort(
      a.manifest, a.clinical.empty() ? std::nullopt : std::optional<std::filesystem::path>(a.clinical),
      a.skip_bad_cases, a.threads, extraction::extraction_loaders(settings));
  if (speaks) {
    modalities::write_check_record(checked, a.out);
    for (const auto& [id, warning] : checked.warnings) std::cerr << "warning: case " << id << ": " << warning << "\n";
    core::write_file_atomic(std::filesystem::path(a.out) / extraction::kExtractionSettingsFile,
                            a.config.empty() ? "; vbiopsy extract without --config: the default settings\n"
                                             : core::read_text_file(a.config));
  }

  const bool tty = ::isatty(STDERR_FILENO);
  auto progress = [&](size_t done, size_t total) {
    const size_t width = 30, filled = total ? done * width / total : width;
    if (tty) {
      std::cerr << "\rextract [" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done << "/"
                << total << std::flush;
      if (done == total) std::cerr << "\n";
    } else if (total && (done * 10 / total != (done - 1) * 10 / total || done == total)) {
      std::cerr << "extract: " << done << "/" << total << " cases\n";
    }
  };
  auto result = extraction::extract_cohort(checked.cohort, settings, a.out, progress);
  if (!speaks) return 0;
  std::cout << "extracted " << result.cases << " cases (" << result.computed << " blocks computed, "
            << result.from_cache << " from cache) into " << a.out << "/features.csv";
  if (!checked.excluded.empty()) std::cout << "; " << checked.excluded.size() << " cases excluded (excluded.csv)";
  if (!checked.warnings.empty()) std::cout << "; " << checked.warnings.size() << " warning(s) (warnings.csv)";
  std::cout << "\n";
  if (!result.failures.empty()) {
    std::cout << result.failures.size() << " extraction failure(s):\n";
    for (auto& f : result.failures) std::cout << "  " << datasets::to_string(f) << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

int run_extract(const std::vector<std::string>& args) {
  ExtractArgs a;
  if (!parse_command_line(args, a)) return 0;
  return cluster::run_as_job([&] { return extract(a); });
}

}  // namespace vbiopsy::tools
