#include <iostream>

#include "core/parallel.h"
#include "experiments/predict.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_predict(const std::vector<std::string>& args) {
  std::string bundle, case_path, case_id, features, out;
  std::vector<std::string> embeddings;
  unsigned threads = core::default_thread_count();
  po::options_description options(
      "vbiopsy predict\n\n"
      "BUNDLE is a folder under RUN_DIR/models/ (written by vbiopsy run; [experiment] export).\n"
      "PATH is a manifest CSV (one row, or name it with --case-id) or a case folder:\n"
      "  mri/  dce/ (DICOM, every phase) or dce_0, dce_1, ... ; dce_times.txt; t2; dwi_b<b>; adc; mask\n"
      "  mg/   cc, cc_mask, mlo, mlo_mask, laterality.txt\n"
      "  us/   frames (any image names) and mask* images\n"
      "  clinical.csv  a header and one row (er_percent, pr_percent, ki67_percent, age, tumour_size_mm, grade, ...)\n"
      "image names without suffix; .nii.gz .nii .nrrd .mha .dcm .png ... or a DICOM folder. Any modality may be absent\n"
      "when the model can do without it.\n\noptions");
  options.add_options()
      ("model", po::value(&bundle)->required(), "model bundle folder (RUN_DIR/models/<model>)")
      ("case", po::value(&case_path)->required(), "case folder or manifest CSV")
      ("case-id", po::value(&case_id), "the manifest row to predict")
      ("features", po::value(&features), "a features.csv holding the case (skips extraction)")
      ("embeddings", po::value(&embeddings)->multitoken(), "CSVs with the case's embedding columns, when the model was trained with [cohort] embeddings")
      ("out", po::value(&out)->required(), "output folder: prediction.json, report.html, case/, features/")
      ("threads", po::value(&threads)->default_value(threads), "worker threads");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy predict --model BUNDLE --case PATH --out DIR")) return 0;
  const auto prediction = experiments::predict_case(
      {bundle, case_path, case_id, features, out, threads, std::vector<std::filesystem::path>(embeddings.begin(), embeddings.end())}, std::cerr);
  std::cout << "case " << prediction["case_id"].get<std::string>() << ": HER2-" << prediction["predicted_class"].get<std::string>()
            << " (zero " << prediction["probabilities"]["zero"].get<double>() << ", low " << prediction["probabilities"]["low"].get<double>()
            << ", positive " << prediction["probabilities"]["positive"].get<double>() << "); " << out << "/prediction.json, " << out
            << "/report.html\n";
  return 0;
}

}  // namespace vbiopsy::tools
