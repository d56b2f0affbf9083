#pragma once
// Small separable three-class problems for the fusion tests: every modality carries the class
// (class k shifts feature k), and some modalities are missing for some cases.
#include <torch/types.h>

#include "core/random.h"
#include "fusion/model.h"
#include "fusion/training.h"

namespace vbiopsy::fusion::testing {

// Training that learns the toy sets in well under a second: 30 epochs, no inner validation.
inline TrainingOptions quick_training(uint64_t seed = 1) {
  TrainingOptions options;
  options.epochs = 30;
  options.batch_size = 16;
  options.learning_rate = 0.01;
  options.warmup_epochs = 2;
  options.validation_fraction = 0;
  options.seed = seed;
  return options;
}

inline ModelSpec toy_spec(const std::string& fusion, const std::map<std::string, std::string>& fusion_options = {},
                          const std::string& head = "softmax") {
  ModelSpec spec;
  spec.modalities = {{"mri", "radiomics_mlp", {{"embedding", "8"}, {"hidden", "16"}, {"dropout", "0"}}, {6}},
                     {"clinical", "clinical", {{"embedding", "8"}, {"hidden", "16"}, {"dropout", "0"}}, {3}}};
  spec.fusion = fusion;
  spec.fusion_options = fusion_options;
  spec.head.kind = head;
  return spec;
}

// n cases, labels 0,1,2 in turn; modality m absent with probability `missing` (one always present).
inline Batch toy_batch(int64_t n, uint64_t seed, double missing = 0.25) {
  core::Rng rng(seed);
  auto mri = torch::zeros({n, 6}), clinical = torch::zeros({n, 3});
  auto present = torch::ones({n, 2}, torch::kBool);
  auto targets = torch::zeros({n}, torch::kInt64);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i % 3;
    targets[i] = k;
    for (int64_t j = 0; j < 6; ++j) mri[i][j] = static_cast<float>(0.3 * rng.normal() + (j == k ? 2.0 : 0.0));
    for (int64_t j = 0; j < 3; ++j) clinical[i][j] = static_cast<float>(0.3 * rng.normal() + (j == k ? 2.0 : 0.0));
    if (rng.bernoulli(0.2)) clinical[i][(k + 1) % 3] = NAN;  // a missing clinical value, not a class signal
    const bool drop_mri = rng.bernoulli(missing), drop_clinical = !drop_mri && rng.bernoulli(missing);
    if (drop_mri) present[i][0] = false;
    if (drop_clinical) present[i][1] = false;
  }
  return {{{mri, {}}, {clinical, {}}}, present, targets};
}

inline double accuracy(const torch::Tensor& probabilities, const torch::Tensor& targets) {
  return probabilities.argmax(1).eq(targets).to(torch::kDouble).mean().item<double>();
}

}  // namespace vbiopsy::fusion::testing
