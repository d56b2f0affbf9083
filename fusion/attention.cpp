#include "fusion/builtin.h"

namespace vbiopsy::fusion {

std::vector<core::OptionSpec> AttentionFusion::option_specs() {
  return {{"dim", "64", "token width"},
          {"depth", "2", "transformer layers"},
          {"heads", "4", "attention heads"},
          {"dropout", "0.1", "dropout probability"}};
}

AttentionFusion::AttentionFusion(const core::ResolvedOptions& options, const std::vector<int64_t>& dims,
                                 const HeadSpec& head)
    : dims_(dims) {
  const int64_t dim = options.integer("dim"), heads = options.integer("heads");
  if (heads <= 0 || dim % heads != 0)
    core::fail("fusion method 'attention': option 'dim' = ", dim, " must be a multiple of 'heads' = ", heads);
  for (size_t m = 0; m < dims.size(); ++m)
    tokens_.push_back(register_module("token" + std::to_string(m), torch::nn::Linear(dims[m], dim)));
  type_embedding_ =
      register_parameter("type_embedding", torch::randn({static_cast<int64_t>(dims.size()), 1, dim}) * 0.02);
  class_token_ = register_parameter("class_token", torch::zeros({1, 1, dim}));
  for (int64_t i = 0; i < options.integer("depth"); ++i)
    layers_.push_back(register_module("layer" + std::to_string(i),
                                      encoders::TransformerLayer(encoders::TransformerLayerOptions(dim, heads)
                                                                     .feedforward(2 * dim)
                                                                     .dropout(options.probability("dropout")))));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  head_ = register_module("head", Head(dim, head));
}

FusionOutput AttentionFusion::forward(const FusionInput& input, const torch::Tensor& targets) {
  const int64_t n = check_fusion_input(kName, input, dims_);
  const auto embeddings = zero_absent(input);
  std::vector<torch::Tensor> tokens{class_token_.expand({1, n, -1})};
  for (size_t m = 0; m < tokens_.size(); ++m)
    tokens.push_back(tokens_[m]->forward(embeddings[m]).unsqueeze(0) + type_embedding_[static_cast<int64_t>(m)]);
  auto x = torch::cat(tokens, 0);  // [1 + M, N, dim]
  // Absent modalities are masked as keys: no token, in particular the class token, attends to them.
  const auto padding =
      torch::cat({torch::zeros({n, 1}, torch::kBool), input.present.to(torch::kBool).logical_not()}, 1);
  torch::Tensor weights;
  for (auto& layer : layers_) std::tie(x, weights) = layer->forward(x, padding);
  const auto raw = head_->forward(norm_->forward(x[0]));
  FusionOutput out;
  out.probabilities = head_->probabilities(raw);
  if (weights.defined()) {
    // The class token's attention to the modality tokens (last layer, mean over heads), as shares
    // of what it gives the modalities (its attention to itself left out).
    const auto to_modalities = weights.select(1, 0).slice(1, 1);
    out.modality_weights = to_modalities / to_modalities.sum(1, true).clamp_min(1e-12);
  }
  if (targets.defined()) out.loss = head_->loss(raw, targets);
  return out;
}

}  // namespace vbiopsy::fusion
