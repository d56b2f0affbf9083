#pragma once
// Training: AdamW, cosine learning rate with linear warm-up, gradient clipping, early stopping on
// the inner-validation macro-AUC (restoring the best epoch), modality dropout, image augmentation,
// a checkpoint per epoch from which a killed training resumes, and bit-identical results for the
// same seed and thread count (batches, dropout and augmentation are seeded from (seed, epoch, case),
// never from a shared generator).
#include <filesystem>
#include <functional>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include "core/registry.h"
#include "fusion/model.h"

namespace vbiopsy::fusion {

class DataParallelGroup;

struct EpochReport {
  int64_t epoch = 0;
  double train_loss = 0;
  double validation_auc = 0;  // NaN without a validation set
};

struct TrainingOptions {
  int64_t epochs = 40;
  int64_t batch_size = 32;
  double learning_rate = 1e-3;
  double weight_decay = 1e-2;
  int64_t warmup_epochs = 2;
  int64_t patience = 10;             // epochs without a better validation AUC before stopping
  double clip_norm = 1.0;            // 0 = no clipping
  double modality_dropout = 0.0;     // probability of hiding a present modality (one always stays)
  bool augment = true;               // flips, small rotations, intensity jitter for image encoders
  double validation_fraction = 0.2;  // inner validation split when none is given (0 = none)
  std::string mode = "end_to_end";   // end_to_end | two_stage
  // two_stage only: the encoders were trained already (elsewhere, e.g. shared by the cells of an
  // ablation grid); only the fusion is trained, on their frozen embeddings.
  bool encoders_pretrained = false;
  uint64_t seed = 1;
  int threads = 1;
  std::filesystem::path checkpoint_dir;  // empty = no checkpoints (in a data-parallel group, rank 0 writes them)
  // Data-parallel training over a group of processes (data_parallel.h): each rank computes its
  // shard of every batch and the ranks sum their gradients. `data_parallel` when given, else with
  // distributed = "gloo" the group of this process (DataParallelGroup::of_this_process); "none":
  // this process alone.
  std::string distributed = "none";
  std::shared_ptr<DataParallelGroup> data_parallel;
  // Called after every epoch; returning false stops the training there (as a kill would).
  std::function<bool(const EpochReport&)> on_epoch;
};

std::vector<core::OptionSpec> training_option_specs();
TrainingOptions training_options_from(const std::map<std::string, std::string>& options);

struct TrainingResult {
  std::vector<EpochReport> history;  // every epoch of every stage, in order
  int64_t best_epoch = -1;           // of the last stage
  double best_validation_auc = 0;
  bool completed = true;  // false when on_epoch stopped it
};

// Trains the model in place. `validation` may be null: then an inner split of `train`
// (validation_fraction, stratified, seeded) is used, or none when the fraction is 0.
TrainingResult train_model(MultimodalModel& model, const Batch& train, const Batch* validation,
                           const TrainingOptions& options);

struct Prediction {
  torch::Tensor probabilities;           // [N, 3]
  torch::Tensor modality_weights;        // [N, M] or undefined
  torch::Tensor modality_probabilities;  // [N, M, 3] (late fusion) or undefined
};

// Evaluation mode, no gradients, in batches.
Prediction predict(MultimodalModel& model, const Batch& data, int64_t batch_size = 64);

// The same augmentation the trainer applies, exposed for tests: values [N, ..., C, H, W] (2D) or
// [N, C, D, H, W] (3D); each case's transform is drawn from (seed, epoch, case_ids[i]).
torch::Tensor augment_images(const torch::Tensor& values, int spatial_dims, uint64_t seed, int64_t epoch,
                             const std::vector<int64_t>& case_ids);

}  // namespace vbiopsy::fusion
