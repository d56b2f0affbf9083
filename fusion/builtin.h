#pragma once
// The built-in fusion methods (see fusion.h for the interface).
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

#include "encoders/nn/layers.h"
#include "fusion/fusion.h"
#include "fusion/head.h"

namespace vbiopsy::fusion {

class EarlyFusion : public Fusion {
 public:
  static constexpr const char* kName = "early";
  static constexpr const char* kHelp = "concatenate modality embeddings (absent = 0, plus presence flags) -> MLP head";
  static std::vector<core::OptionSpec> option_specs();
  EarlyFusion(const core::ResolvedOptions& options, const std::vector<int64_t>& dims, const HeadSpec& head);
  FusionOutput forward(const FusionInput& input, const torch::Tensor& targets) override;

 private:
  std::vector<int64_t> dims_;
  encoders::Mlp mlp_{nullptr};
  Head head_{nullptr};
};

class LateFusion : public Fusion {
 public:
  static constexpr const char* kName = "late";
  static constexpr const char* kHelp =
      "one head per modality; class probabilities combined over present modalities by mean, learned weights, or a "
      "stacking learner";
  static std::vector<core::OptionSpec> option_specs();
  LateFusion(const core::ResolvedOptions& options, const std::vector<int64_t>& dims, const HeadSpec& head);
  FusionOutput forward(const FusionInput& input, const torch::Tensor& targets) override;

 private:
  std::vector<int64_t> dims_;
  std::string combine_;
  std::vector<Head> heads_;
  torch::Tensor weight_logits_;
  torch::Tensor class_weights_;
};

class AttentionFusion : public Fusion {
 public:
  static constexpr const char* kName = "attention";
  static constexpr const char* kHelp =
      "one token per modality + modality-type embedding + class token -> transformer with key-padding masks -> head";
  static std::vector<core::OptionSpec> option_specs();
  AttentionFusion(const core::ResolvedOptions& options, const std::vector<int64_t>& dims, const HeadSpec& head);
  FusionOutput forward(const FusionInput& input, const torch::Tensor& targets) override;

 private:
  std::vector<int64_t> dims_;
  std::vector<torch::nn::Linear> tokens_;
  torch::Tensor type_embedding_, class_token_;
  std::vector<encoders::TransformerLayer> layers_;
  torch::nn::LayerNorm norm_{nullptr};
  Head head_{nullptr};
};

class GatedFusion : public Fusion {
 public:
  static constexpr const char* kName = "gated";
  static constexpr const char* kHelp =
      "learned per-case gates (softmax over present modalities) weight projected embeddings -> head";
  static std::vector<core::OptionSpec> option_specs();
  GatedFusion(const core::ResolvedOptions& options, const std::vector<int64_t>& dims, const HeadSpec& head);
  FusionOutput forward(const FusionInput& input, const torch::Tensor& targets) override;

 private:
  std::vector<int64_t> dims_;
  std::vector<torch::nn::Linear> projections_;
  torch::nn::Linear gate_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  Head head_{nullptr};
};

}  // namespace vbiopsy::fusion
