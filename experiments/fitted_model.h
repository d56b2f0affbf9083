#pragma once
// One configuration of the grid (a fusion method, the DM-VBS binary submodels, or a classical
// classifier over a modality subset)
// fitted on a set of training cases: the per-modality feature handling of that training set plus
// the model. The runner fits one per cross-validation fold, and one on every training case for
// each exported bundle (RUN_DIR/models/), which `vbiopsy predict` loads.
//
// A bundle is a folder: bundle.json (what the model is, its preprocessing, selected columns, label
// map, the extraction settings the features came from, the cross-validated figures) plus
// network.pt (neural models, fusion/bundle.h, every parameter's shape checked on load) or the
// classifier's fitted state inside bundle.json.
#include <Eigen/Dense>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "experiments/calibration.h"
#include "experiments/config.h"
#include "experiments/feature_table.h"
#include "experiments/image_inputs.h"
#include "experiments/preprocessing.h"
#include "fusion/learners/classifier.h"

namespace vbiopsy::fusion {
class BinarySubmodels;
class StackedLateModel;
struct StackingOptions;
class MultimodalModelImpl;
}  // namespace vbiopsy::fusion

namespace vbiopsy::experiments {

struct DeepFeatures;

// Whether a grid method is a classical learner on feature columns (a classifier, or the DM-VBS
// submodels) rather than a fusion network (fusion/methods.h).
bool is_classical_method(const std::string& method);

// Per-modality encoders trained so far in a run (deep features of classical learners, stage 1 of
// two-stage training), by modality, encoder, input, seed and training cases: the cells of a fold
// that share a modality train its encoder once.
using EncoderCache = std::map<std::string, std::shared_ptr<fusion::MultimodalModelImpl>>;

struct ModelOutput {
  Eigen::MatrixXd probabilities;  // [rows, 3], each row sums to 1; calibrated when the model has a calibration
  Eigen::MatrixXd uncalibrated;   // [rows, 3]: the model's own probabilities (the same without a calibration)
  std::vector<ClassSet> sets;     // per row, its conformal prediction set; empty when the model has none
  Eigen::MatrixXd
      weights;  // [rows, modalities]: attention shares, gates or late weights; empty when the model has none
};

class FittedModel {
 public:
  FittedModel();
  ~FittedModel();
  FittedModel(FittedModel&&) noexcept;
  FittedModel& operator=(FittedModel&&) noexcept;

  // Fits on the rows `train` of the table; `seed` drives every random choice of the model. With
  // [calibration] holdout > 0, a stratified fraction of `train` is held out of the model's training
  // to fit its calibration and conformal sets (calibration.h).
  // `encoders`: per modality of the subset (empty: each modality's first encoder in the config). A
  // modality with an image encoder reads the table's crops for that encoder instead of columns.
  static FittedModel fit(const ExperimentConfig& config, const FeatureTable& table, const std::vector<int>& labels,
                         const std::string& fusion, const std::vector<std::string>& subset,
                         const std::vector<size_t>& train, uint64_t seed, const std::vector<std::string>& encoders = {},
                         EncoderCache* cache = nullptr);

  // Points the preprocessing at the selected columns (by name) of a table built elsewhere, e.g. for
  // one new case; a loaded model must be bound before predict. Throws naming a missing column.
  void bind(const FeatureTable& table);
  // The table must hold the subset's modalities with the columns the model selected.
  ModelOutput predict(const FeatureTable& table, const std::vector<size_t>& rows) const;

  const std::string& fusion() const { return fusion_; }
  const Calibrator& calibrator() const { return calibrator_; }
  const ConformalSets& conformal() const { return conformal_; }
  const std::vector<std::string>& subset() const { return subset_; }
  bool is_classical() const { return classifier_ != nullptr; }
  // Per modality of the subset, how many training cases lacked it (a classical learner has never
  // seen a case without a modality when this is 0).
  const std::vector<size_t>& absent_in_training() const { return absent_in_training_; }
  const std::vector<BlockPreprocessor>& preprocessors() const { return preprocessors_; }
  // Per modality of the subset: the crops its image encoder reads, or nullopt (feature columns).
  const std::vector<std::optional<ImageInputSpec>>& image_inputs() const { return images_; }
  // One case's input shape for modality m of the subset (crops, or the selected columns).
  std::vector<int64_t> sample_shape(size_t m) const;
  // What a classical learner reads of modality m for the rows: the preprocessed columns, or for an
  // image encoder its deep features (the embedding of the encoder trained on this model's training
  // cases, standardised with their statistics); and whether each row has the modality.
  Eigen::MatrixXd block_values(size_t m, const FeatureTable& table, const std::vector<size_t>& rows) const;
  std::vector<bool> block_present(size_t m, const FeatureTable& table, const std::vector<size_t>& rows) const;

  // Per modality of the subset: how the case at `row` compares with the training cases (feature
  // columns only: nothing for image encoders and absent modalities). Needs bind() for a loaded model.
  std::vector<Atypicality> atypicality(const FeatureTable& table, size_t row) const;

  // A classical learner with an exact method (fusion::Classifier::exact_shapley) on feature columns
  // only: the exact Shapley values of its margins for the case at `row`, one column per input it
  // reads (each modality's selected columns, then its presence flag). nullopt for other models.
  std::optional<fusion::MarginShapley> margin_shapley(const FeatureTable& table, size_t row) const;

  // A fusion network with image encoders: per image modality the case at `row` has, where its
  // encoder looked when scoring `target_class` (fusion/saliency.h).
  // Empty for other models.
  std::vector<ImageSaliency> saliency(const FeatureTable& table, size_t row, int target_class) const;

  // Writes the bundle folder atomically file by file; `metadata` is stored under "run".
  void save(const std::filesystem::path& folder, const nlohmann::json& metadata) const;
  // Reads a bundle folder; bundle.json's "run" object is returned through metadata when given.
  static FittedModel load(const std::filesystem::path& folder, nlohmann::json* metadata = nullptr);

 private:
  static FittedModel fit_model(const ExperimentConfig& config, const FeatureTable& table,
                               const std::vector<int>& labels, const std::string& fusion,
                               const std::vector<std::string>& subset, const std::vector<size_t>& train, uint64_t seed,
                               const std::vector<std::string>& encoders, EncoderCache* cache);
  Eigen::MatrixXd predict_uncalibrated(const FeatureTable& table, const std::vector<size_t>& rows,
                                       Eigen::MatrixXd* weights) const;
  // Columns a classical learner reads of modality m: the selected feature columns, or the
  // embedding of its deep features.
  Eigen::Index block_width(size_t m) const;
  std::string fusion_;
  std::vector<std::string> subset_;
  std::vector<BlockPreprocessor> preprocessors_;
  std::vector<size_t> absent_in_training_;
  std::vector<std::optional<ImageInputSpec>> images_;
  std::vector<std::vector<int64_t>> image_shapes_;        // per modality; empty for feature columns
  std::vector<std::shared_ptr<DeepFeatures>> deep_;       // per modality: classical learners on image encoders
  std::unique_ptr<fusion::Classifier> classifier_;        // classical learners
  std::unique_ptr<fusion::StackedLateModel> stacked_;     // late fusion with combine = stacking
  std::unique_ptr<fusion::BinarySubmodels> submodels_;    // fusion = submodels (DM-VBS)
  std::shared_ptr<fusion::MultimodalModelImpl> network_;  // every other fusion method
  Calibrator calibrator_;
  ConformalSets conformal_;
};

}  // namespace vbiopsy::experiments
