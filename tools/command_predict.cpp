#include <iostream>

#include "core/parallel.h"
#include "core/error.h"
#include "experiments/model_card.h"
#include "experiments/predict.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_predict(const std::vector<std::string>& args) {
  std::string bundle, case_path, case_id, features, out;
  std::vector<std::string> embeddings;
  bool skip_bad_cases = false, card = false;
  unsigned threads = core::default_thread_count();
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
  options.add_options()("model", po::value(&bundle)->required(), "model bundle folder (RUN_DIR/models/<model>)")(
      "case", po::value(&case_path), "case folder or manifest CSV")(
      "card", po::bool_switch(&card),
      "print the model card of the bundle (intended use, training data, performance, calibration, limits) and stop")(
      "case-id", po::value(&case_id), "the manifest row to predict")(
      "features", po::value(&features), "a features.csv holding the case (skips extraction)")(
      "embeddings", po::value(&embeddings)->multitoken(),
      "CSVs with the case's embedding columns, when the model was trained with [cohort] embeddings")(
      "out", po::value(&out), "output folder: prediction.json, report.html, case/, features/")(
      "threads", po::value(&threads)->default_value(threads),
      "worker threads (cases in parallel for a manifest of several)")(
      "skip-bad-cases", po::bool_switch(&skip_bad_cases),
      "a manifest of several cases: leave out (and list in DIR/excluded.csv) the cases that fail");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy predict --model BUNDLE --case PATH --out DIR")) return 0;
  if (card) {
    std::cout << experiments::model_card_text(experiments::read_model_card(bundle));
    return 0;
  }
  if (case_path.empty() || out.empty()) throw core::Error("vbiopsy predict: give --case and --out (or --card)");
  const experiments::PredictRequest request{bundle,
                                            case_path,
                                            case_id,
                                            features,
                                            out,
                                            threads,
                                            std::vector<std::filesystem::path>(embeddings.begin(), embeddings.end())};
  if (case_id.empty() && experiments::cases_in(case_path) > 1) {
    const auto summary = experiments::predict_cohort(request, skip_bad_cases, std::cerr);
    std::cout << summary.predicted << " cases predicted into " << out << "/predictions.csv (one folder per case)";
    if (!summary.skipped.empty())
      std::cout << "; " << summary.skipped.size() << " left out, listed in " << out << "/excluded.csv";
    std::cout << "\n";
    return 0;
  }
  const auto prediction = experiments::predict_case(request, std::cerr);
  std::cout << "case " << prediction["case_id"].get<std::string>() << ": HER2-"
            << prediction["predicted_class"].get<std::string>() << " (zero "
            << prediction["probabilities"]["zero"].get<double>() << ", low "
            << prediction["probabilities"]["low"].get<double>() << ", positive "
            << prediction["probabilities"]["positive"].get<double>() << "); " << out << "/prediction.json, " << out
            << "/report.html\n";
  return 0;
}

}  // namespace vbiopsy::tools
