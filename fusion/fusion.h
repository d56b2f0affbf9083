#pragma once
// The fusion interface: per-modality embeddings with a presence mask -> HER2 class probabilities.
// Every method accepts any subset of modalities and cases with missing modalities: an absent
// modality's embedding never reaches the output (tests change it and check nothing moves).
#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/registry.h"
#include "fusion/head.h"

namespace vbiopsy::fusion {

struct FusionInput {
  std::vector<torch::Tensor> embeddings;  // one [N, D_m] per modality
  torch::Tensor present;                  // [N, M] bool
};

struct FusionOutput {
  torch::Tensor probabilities;           // [N, 3]
  torch::Tensor loss;                    // scalar, when targets were given
  torch::Tensor modality_weights;        // [N, M] per-case weights (attention, gates, late weights)
  torch::Tensor modality_probabilities;  // [N, M, 3], late fusion only (input of a stacking learner)
};

class Fusion : public torch::nn::Module {
 public:
  // targets [N] int64, or undefined for prediction only.
  virtual FusionOutput forward(const FusionInput& input, const torch::Tensor& targets) = 0;
};

using FusionFactory = std::function<std::shared_ptr<Fusion>(
    const core::ResolvedOptions&, const std::vector<int64_t>& embedding_dims, const HeadSpec&)>;
using FusionRegistry = core::Registry<FusionFactory>;

void register_builtin_fusions(FusionRegistry& registry);
const FusionRegistry& builtin_fusions();
std::shared_ptr<Fusion> make_fusion(const std::string& name, const std::map<std::string, std::string>& options,
                                    const std::vector<int64_t>& embedding_dims, const HeadSpec& head);

template <typename FusionClass>
void add_fusion(FusionRegistry& registry) {
  registry.add({FusionClass::kName, FusionClass::kHelp, FusionClass::option_specs(),
                [](const core::ResolvedOptions& options, const std::vector<int64_t>& dims, const HeadSpec& head) {
                  return std::static_pointer_cast<Fusion>(std::make_shared<FusionClass>(options, dims, head));
                }});
}

// Checks the input against the dims the method was built for; returns N.
int64_t check_fusion_input(const char* method, const FusionInput& input, const std::vector<int64_t>& dims);
// The embeddings with absent cases zeroed (torch::where, so NaN padding cannot leak).
std::vector<torch::Tensor> zero_absent(const FusionInput& input);

}  // namespace vbiopsy::fusion
