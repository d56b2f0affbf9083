#include <chrono>
#include <iostream>

#include "core/parallel.h"
#include "core/strings.h"
#include "modalities/synthetic_cohort.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_synth(const std::vector<std::string>& args) {
  modalities::SynthWriteOptions o;
  auto& s = o.synth;
  std::string out, prevalence = "0.2,0.5,0.3", mri_format = "nifti";
  unsigned threads = core::default_thread_count();
  po::options_description options("vbiopsy synth");
  options.add_options()("out", po::value(&out)->required(),
                        "output folder (manifest.csv, clinical.csv, cases/, truth/)")(
      "cases", po::value(&s.cases)->default_value(s.cases), "number of cases")(
      "seed", po::value(&s.seed)->default_value(s.seed), "random seed: the same seed gives the same bytes")(
      "prevalence", po::value(&prevalence)->default_value(prevalence), "class shares zero,low,positive")(
      "mri-format", po::value(&mri_format)->default_value(mri_format), "nifti or dicom")(
      "effect-mri", po::value(&s.effect_mri)->default_value(s.effect_mri), "class effect size in the MRI")(
      "effect-mg", po::value(&s.effect_mg)->default_value(s.effect_mg), "class effect size in mammography")(
      "effect-us", po::value(&s.effect_us)->default_value(s.effect_us), "class effect size in ultrasound")(
      "effect-clinical", po::value(&s.effect_clinical)->default_value(s.effect_clinical),
      "class effect size in the clinical values")(
      "missing-mri", po::value(&s.missing_mri)->default_value(s.missing_mri), "share of cases without MRI")(
      "missing-mg", po::value(&s.missing_mg)->default_value(s.missing_mg), "share of cases without mammography")(
      "missing-us", po::value(&s.missing_us)->default_value(s.missing_us), "share of cases without ultrasound")(
      "clinical-missing", po::value(&s.clinical_missing)->default_value(s.clinical_missing),
      "share of missing clinical values")("indeterminate",
                                          po::value(&s.indeterminate_rate)->default_value(s.indeterminate_rate),
                                          "share of IHC 2+ cases without ISH")(
      "noise", po::value(&s.noise)->default_value(s.noise), "image noise multiplier")(
      "threads", po::value(&threads)->default_value(threads), "worker threads (results do not depend on it)");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy synth --out DIR [--cases N] [--seed S] [options]")) return 0;

  auto shares = core::split(prevalence, ',');
  if (shares.size() != 3) core::fail("--prevalence '", prevalence, "' needs three shares: zero,low,positive");
  for (int i = 0; i < 3; ++i) {
    auto v = core::parse_double(shares[i]);
    if (!v || *v < 0) core::fail("--prevalence share '", shares[i], "' is not a non-negative number");
    s.prevalence[i] = *v;
  }
  if (s.prevalence[0] + s.prevalence[1] + s.prevalence[2] <= 0) core::fail("--prevalence shares sum to zero");
  if (mri_format == "nifti")
    o.mri_format = modalities::MriFormat::kNifti;
  else if (mri_format == "dicom")
    o.mri_format = modalities::MriFormat::kDicom;
  else
    core::fail("--mri-format '", mri_format, "' is not nifti or dicom");
  for (double rate : {s.missing_mri, s.missing_mg, s.missing_us, s.clinical_missing, s.indeterminate_rate})
    if (rate < 0 || rate > 1) core::fail("missing/indeterminate rates must lie in [0, 1], got ", rate);
  o.threads = threads;

  const auto start = std::chrono::steady_clock::now();
  const size_t n = modalities::write_synthetic_cohort(o, out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "wrote " << n << " synthetic cases to " << out << " in " << seconds << " s\n";
  return 0;
}

}  // namespace vbiopsy::tools
