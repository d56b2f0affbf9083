#include "tools/command_options.h"

namespace vbiopsy::tools {

po::options_description options_of(SynthArgs& a) {
  auto& s = a.write.synth;
  po::options_description options("vbiopsy synth");
  options.add_options()("out", po::value(&a.out)->required(),
                        "output folder (manifest.csv, clinical.csv, cases/, truth/)")(
      "cases", po::value(&s.cases)->default_value(s.cases), "number of cases")(
      "seed", po::value(&s.seed)->default_value(s.seed), "random seed: the same seed gives the same bytes")(
      "prevalence", po::value(&a.prevalence)->default_value(a.prevalence), "class shares zero,low,positive")(
      "mri-format", po::value(&a.mri_format)->default_value(a.mri_format), "nifti or dicom")(
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
      "threads", po::value(&a.threads)->default_value(a.threads), "worker threads (results do not depend on it)");
  return options;
}

po::options_description options_of(ValidateArgs& a) {
  po::options_description options("vbiopsy validate");
  options.add_options()("manifest", po::value(&a.manifest)->required(), "cohort manifest CSV")(
      "clinical", po::value(&a.clinical), "clinical CSV joined by case_id (default: clinical.csv beside the manifest)")(
      "config", po::value(&a.config),
      "extraction settings INI: also check everything `vbiopsy extract` with them needs (mask labels, "
      "DCE phases for kinetics and Tofts, habitat maps)")("threads", po::value(&a.threads)->default_value(a.threads),
                                                          "worker threads");
  return options;
}

po::options_description options_of(RadiomicsArgs& a) {
  po::options_description options("vbiopsy radiomics");
  options.add_options()("image", po::value(&a.image)->required(),
                        "image (NIfTI, NRRD, MHA, PNG, DICOM file or folder)")("mask", po::value(&a.mask)->required(),
                                                                               "mask on the image's grid")(
      "label", po::value(&a.label), "mask value of the region (default: setting.label, else every non-zero voxel)")(
      "params", po::value(&a.params),
      "settings INI (see docs/radiomics.md: binWidth, binCount, discretisation, families, voxelArrayShift)")(
      "compat", po::value(&a.compat)->default_value(a.compat),
      "ibsi (IBSI names and aggregations) or pyradiomics (its names, bin edges and defaults)")(
      "threads", po::value(&a.threads)->default_value(a.threads),
      "threads for the image types of this case (results do not depend on it)")("out", po::value(&a.out)->required(),
                                                                                "output CSV: name,ibsi_id,value");
  return options;
}

po::options_description options_of(FilterArgs& a) {
  po::options_description options("vbiopsy filter");
  options.add_options()("image", po::value(&a.image)->required(), "image (NIfTI, NRRD, MHA, DICOM file or folder)")(
      "params", po::value(&a.params)->required(),
      "filter INI, section [filter] (see docs/radiomics.md; the IBSI 2 phase-1 configurations are in "
      "tools/ibsi2/phase1)")("out", po::value(&a.out)->required(),
                             "the response map, float32 on the image's grid (.nii.gz, .nrrd, .mha)");
  return options;
}

po::options_description options_of(ExtractArgs& a) {
  po::options_description options("vbiopsy extract");
  options.add_options()("manifest", po::value(&a.manifest)->required(), "cohort manifest CSV")(
      "clinical", po::value(&a.clinical), "clinical CSV (default: clinical.csv beside the manifest)")(
      "config", po::value(&a.config), "settings INI: radiomics keys (see radiomics --help) and [regions] rings_mm")(
      "out", po::value(&a.out)->required(), "output folder: features.csv, excluded.csv, cache/")(
      "threads", po::value(&a.threads)->default_value(a.threads), "worker threads (results do not depend on it)")(
      "skip-bad-cases", po::bool_switch(&a.skip_bad_cases),
      "leave out (and name) cases that fail validation instead of stopping");
  return options;
}

po::options_description options_of(RunArgs& a) {
  po::options_description options("vbiopsy run");
  options.add_options()("config", po::value(&a.config)->required(),
                        "experiment config (INI); see experiments/demo.ini")(
      "out", po::value(&a.out), "run directory (a rerun resumes finished cells); required unless --check")(
      "check", po::bool_switch(&a.check),
      "check the whole config (sections, keys, methods, options, values, input files), report every problem, train "
      "nothing")("manifest", po::value(&a.manifest), "run the same experiment on another cohort manifest")(
      "features", po::value(&a.features), "that cohort's features.csv (from vbiopsy extract)")(
      "extract-into", po::value(&a.extract_into),
      "with [cohort] extract: where the features and their cache go (share it between runs)")(
      "permute-labels", po::bool_switch(&a.permute_labels), "negative control: shuffle the labels (seeded)");
  return options;
}

po::options_description options_of(PredictArgs& a) {
  po::options_description options(
      "vbiopsy predict\n\n"
      "BUNDLE is a folder under RUN_DIR/models/ (written by vbiopsy run; [experiment] export).\n"
      "PATH is a manifest CSV (one row, or name it with --case-id) or a case folder:\n"
      "  mri/  dce/ (DICOM, every phase) or dce_0, dce_1, ... ; dce_times.txt; t2; dwi_b<b>; adc; mask\n"
      "  mg/   cc, cc_mask, mlo, mlo_mask, laterality.txt\n"
      "  us/   frames (any image names) and mask* images\n"
      "  clinical.csv  a header and one row (er_percent, pr_percent, ki67_percent, age, tumour_size_mm, grade, ...)\n"
      "image names without suffix; .nii.gz .nii .nrrd .mha .dcm .png ... or a DICOM folder. Any modality may be "
      "absent\n"
      "when the model can do without it.\n"
      "A manifest of several cases without --case-id predicts them all: DIR/<case_id>/ per case and\n"
      "DIR/predictions.csv.\n\noptions");
  options.add_options()("model", po::value(&a.bundle)->required(), "model bundle folder (RUN_DIR/models/<model>)")(
      "case", po::value(&a.case_path), "case folder or manifest CSV")(
      "card", po::bool_switch(&a.card),
      "print the model card of the bundle (intended use, training data, performance, calibration, limits) and stop")(
      "case-id", po::value(&a.case_id), "the manifest row to predict")(
      "features", po::value(&a.features), "a features.csv holding the case (skips extraction)")(
      "embeddings", po::value(&a.embeddings)->multitoken(),
      "CSVs with the case's embedding columns, when the model was trained with [cohort] embeddings")(
      "out", po::value(&a.out), "output folder: prediction.json, report.html, case/, features/")(
      "threads", po::value(&a.threads)->default_value(a.threads),
      "worker threads (cases in parallel for a manifest of several)")(
      "skip-bad-cases", po::bool_switch(&a.skip_bad_cases),
      "a manifest of several cases: leave out (and list in DIR/excluded.csv) the cases that fail");
  return options;
}

po::options_description options_of(ReportArgs& a) {
  po::options_description options("vbiopsy report");
  options.add_options()("run", po::value(&a.run)->required(), "a run directory written by vbiopsy run");
  return options;
}

po::options_description options_of(ReproduceArgs& a) {
  po::options_description options("vbiopsy reproduce");
  options.add_options()("run", po::value(&a.run)->required(), "the run directory to reproduce (its run.json)")(
      "into", po::value(&a.into), "where to rerun (default: RUN_DIR/reproduced)")(
      "map", po::value(&a.maps)->composing(),
      "OLD=NEW: read recorded inputs under folder OLD from folder NEW instead (repeatable); without it an input is "
      "looked for at its recorded path, then at its recorded path relative to the run folder");
  return options;
}

po::options_description options_of(ListArgs&) { return po::options_description("vbiopsy list"); }

}  // namespace vbiopsy::tools
