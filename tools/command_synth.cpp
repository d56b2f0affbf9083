#include <chrono>
#include <iostream>

#include "core/parallel.h"
#include "core/strings.h"
#include "modalities/synthetic_cohort.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

int run_synth(const std::vector<std::string>& args) {
  SynthArgs a;
  if (!parse_command_line(args, a)) return 0;
  auto& s = a.write.synth;
  auto shares = core::split(a.prevalence, ',');
  if (shares.size() != 3) core::fail("--prevalence '", a.prevalence, "' needs three shares: zero,low,positive");
  for (int i = 0; i < 3; ++i) {
    auto v = core::parse_double(shares[i]);
    if (!v || *v < 0) core::fail("--prevalence share '", shares[i], "' is not a non-negative number");
    s.prevalence[i] = *v;
  }
  if (s.prevalence[0] + s.prevalence[1] + s.prevalence[2] <= 0) core::fail("--prevalence shares sum to zero");
  if (a.mri_format == "nifti")
    a.write.mri_format = modalities::MriFormat::kNifti;
  else if (a.mri_format == "dicom")
    a.write.mri_format = modalities::MriFormat::kDicom;
  else
    core::fail("--mri-format '", a.mri_format, "' is not nifti or dicom");
  for (double rate : {s.missing_mri, s.missing_mg, s.missing_us, s.clinical_missing, s.indeterminate_rate})
    if (rate < 0 || rate > 1) core::fail("missing/indeterminate rates must lie in [0, 1], got ", rate);
  a.write.threads = a.threads;

  const auto start = std::chrono::steady_clock::now();
  const size_t n = modalities::write_synthetic_cohort(a.write, a.out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "wrote " << n << " synthetic cases to " << a.out << " in " << seconds << " s\n";
  return 0;
}

}  // namespace vbiopsy::tools
