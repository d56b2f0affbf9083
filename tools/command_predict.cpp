#include <iostream>

#include "core/parallel.h"
#include "core/error.h"
#include "experiments/model_card.h"
#include "experiments/predict.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

int run_predict(const std::vector<std::string>& args) {
  PredictArgs a;
  if (!parse_command_line(args, a)) return 0;
  if (a.card) {
    std::cout << experiments::model_card_text(experiments::read_model_card(a.bundle));
    return 0;
  }
  if (a.case_path.empty() || a.out.empty()) throw core::Error("vbiopsy predict: give --case and --out (or --card)");
  const experiments::PredictRequest request{
      a.bundle,
      a.case_path,
      a.case_id,
      a.features,
      a.out,
      a.threads,
      std::vector<std::filesystem::path>(a.embeddings.begin(), a.embeddings.end())};
  if (a.case_id.empty() && experiments::cases_in(a.case_path) > 1) {
    const auto summary = experiments::predict_cohort(request, a.skip_bad_cases, std::cerr);
    std::cout << summary.predicted << " cases predicted into " << a.out << "/predictions.csv (one folder per case)";
    if (!summary.skipped.empty())
      std::cout << "; " << summary.skipped.size() << " left out, listed in " << a.out << "/excluded.csv";
    std::cout << "\n";
    return 0;
  }
  const auto prediction = experiments::predict_case(request, std::cerr);
  std::cout << "case " << prediction["case_id"].get<std::string>() << ": HER2-"
            << prediction["predicted_class"].get<std::string>() << " (zero "
            << prediction["probabilities"]["zero"].get<double>() << ", low "
            << prediction["probabilities"]["low"].get<double>() << ", positive "
            << prediction["probabilities"]["positive"].get<double>() << "); " << a.out << "/prediction.json, " << a.out
            << "/report.html\n";
  return 0;
}

}  // namespace vbiopsy::tools
