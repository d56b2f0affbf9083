#pragma once
// `vbiopsy predict`: one new case through a model bundle exported by a run (RUN_DIR/models/<model>).
// The case's features are extracted with the settings the bundle records (or read from a given
// features.csv), handled with the training folds' statistics stored in the bundle, and predicted.
// Writes into OUT: prediction.json (class probabilities, predicted class, the modalities present,
// per-modality contributions and weights, the model's cross-validated figures), report.html (one
// self-contained page), case/manifest.csv (the case as read) and features/ (its extraction).
//
// Per-modality contribution: how much the predicted class's probability falls when the modality
// is withheld (the model's own missing-modality path), with the probabilities without it.
#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vbiopsy::experiments {

struct PredictRequest {
  std::filesystem::path bundle;     // a bundle folder
  std::filesystem::path case_path;  // a case folder (datasets/case_folder.h) or a manifest CSV
  std::string case_id;              // which manifest row (needed when the manifest has several)
  std::filesystem::path features;   // optional: a features.csv holding the case (no extraction then)
  std::filesystem::path out;
  unsigned threads = 1;
  std::vector<std::filesystem::path> embeddings;  // the case's rows of the embedding CSVs the model was trained with
};

// Returns what prediction.json holds. Errors (unreadable case, modality the model cannot do
// without, features extracted differently) throw core::Error naming the file and the field.
nlohmann::json predict_case(const PredictRequest& request, std::ostream& log);

// Number of cases a manifest CSV holds (a case folder holds one).
size_t cases_in(const std::filesystem::path& case_path);

struct BatchSummary {
  size_t predicted = 0;
  std::vector<std::pair<std::string, std::string>> skipped;  // case id, reason
};
// Every case of the manifest request.case_path, `request.threads` cases at a time: one folder per
// case (request.out/<case_id>/, as predict_case writes it) and request.out/predictions.csv (case id,
// probabilities, class, prediction set, modalities far from the training cases, warnings). A case
// that cannot be predicted stops the batch naming it, or with skip_bad_cases is left out and listed
// in request.out/excluded.csv.
BatchSummary predict_cohort(const PredictRequest& request, bool skip_bad_cases, std::ostream& log);

}  // namespace vbiopsy::experiments
