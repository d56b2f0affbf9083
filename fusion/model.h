#pragma once
// A multimodal model: one encoder per modality (chosen by name) and one fusion method, built from
// a ModelSpec that is plain data (saved in bundles and run records).
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "encoders/nn/encoder.h"
#include "fusion/fusion.h"
#include "fusion/head.h"

namespace vbiopsy::fusion {

struct ModalitySpec {
  std::string name;     // e.g. "mri", "mg", "us", "clinical"
  std::string encoder;  // registry name
  std::map<std::string, std::string> options;
  std::vector<int64_t> sample_shape;  // one case's input without the batch dimension
};

struct ModelSpec {
  std::vector<ModalitySpec> modalities;
  std::string fusion = "early";
  std::map<std::string, std::string> fusion_options;
  HeadSpec head;
};

nlohmann::json to_json(const ModelSpec& spec);
ModelSpec model_spec_from_json(const nlohmann::json& json);

// A batch (or a whole dataset) in the model's modality order.
struct Batch {
  std::vector<encoders::EncoderInput> inputs;  // one per modality
  torch::Tensor present;                       // [N, M] bool
  torch::Tensor targets;                       // [N] int64, or undefined

  int64_t size() const { return present.size(0); }
};

// The cases `index` (int64 [B]) of a batch.
Batch select_cases(const Batch& batch, const torch::Tensor& index);

class MultimodalModelImpl : public torch::nn::Module {
 public:
  explicit MultimodalModelImpl(ModelSpec spec);

  // Uses batch.targets for the loss when defined.
  FusionOutput forward(const Batch& batch);
  // The encoders alone: one [N, D_m] embedding per modality (inputs of absent cases zeroed first).
  std::vector<torch::Tensor> embed(const Batch& batch);

  const ModelSpec& spec() const { return spec_; }
  encoders::Encoder& encoder(size_t m) { return *encoders_.at(m); }
  Fusion& fusion() { return *fusion_; }
  size_t modality_count() const { return encoders_.size(); }

 private:
  ModelSpec spec_;
  std::vector<std::shared_ptr<encoders::Encoder>> encoders_;
  std::shared_ptr<Fusion> fusion_;
};
TORCH_MODULE(MultimodalModel);

// Checks a batch against the spec (modality count, per-case shapes, mask shapes); throws core::Error.
void check_batch(const ModelSpec& spec, const Batch& batch);

}  // namespace vbiopsy::fusion
