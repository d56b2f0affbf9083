#include "encoders/nn/builtin.h"

#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>

namespace vbiopsy::encoders {

std::vector<core::OptionSpec> Vit2dEncoder::option_specs() {
  return {{"patch", "8", "patch size in pixels (must divide height and width)"},
          {"dim", "64", "token width"},
          {"depth", "2", "transformer layers"},
          {"heads", "4", "attention heads"},
          {"dropout", "0.1", "dropout probability"},
          {"embedding", "64", "embedding size"}};
}

Vit2dEncoder::Vit2dEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& shape)
    : embedding_(options.integer("embedding")) {
  require_rank(kName, shape, 4, "[S,C,H,W] (slices x channels x height x width)");
  const int64_t patch = options.integer("patch"), dim = options.integer("dim");
  if (patch <= 0 || shape[2] % patch != 0 || shape[3] % patch != 0)
    core::fail("encoder 'vit2d': option 'patch' = ", patch, " must divide the slice size ", shape[2], "x", shape[3]);
  if (dim % options.integer("heads") != 0)
    core::fail("encoder 'vit2d': option 'dim' = ", dim, " must be a multiple of 'heads' = ", options.integer("heads"));
  const int64_t tokens = (shape[2] / patch) * (shape[3] / patch);
  patches_ =
      register_module("patches", torch::nn::Conv2d(torch::nn::Conv2dOptions(shape[1], dim, patch).stride(patch)));
  class_token_ = register_parameter("class_token", torch::zeros({1, 1, dim}));
  positions_ = register_parameter("positions", torch::randn({tokens + 1, 1, dim}) * 0.02);
  for (int64_t i = 0; i < options.integer("depth"); ++i)
    layers_.push_back(register_module("layer" + std::to_string(i),
                                      TransformerLayer(TransformerLayerOptions(dim, options.integer("heads"))
                                                           .feedforward(2 * dim)
                                                           .dropout(options.probability("dropout")))));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  out_ = register_module("out", torch::nn::Linear(dim, embedding_));
}

torch::Tensor Vit2dEncoder::forward(const EncoderInput& input) {
  const auto& x = input.values;
  TORCH_CHECK(x.dim() == 5, "vit2d expects [N,S,C,H,W], got ", x.sizes());
  const int64_t n = x.size(0), slices = x.size(1);
  const auto mask = items_present(input.item_mask, n, slices);
  auto tokens = patches_->forward(x.flatten(0, 1)).flatten(2).permute({2, 0, 1});  // [L, N*S, dim]
  TORCH_CHECK(tokens.size(0) + 1 == positions_.size(0), "vit2d was built for ", positions_.size(0) - 1,
              " patches per slice, got ", tokens.size(0));
  tokens = torch::cat({class_token_.expand({1, tokens.size(1), -1}), tokens}, 0) + positions_;
  input_shape_ = x.sizes().vec();
  attention_.clear();
  for (auto& layer : layers_) {
    auto [out, weights] = layer->forward(tokens, {});
    if (keep_attention_) attention_.push_back(weights.detach());
    tokens = out;
  }
  const auto per_slice = norm_->forward(tokens[0]).view({n, slices, -1});
  return out_->forward(masked_mean(per_slice, mask));
}

void Vit2dEncoder::keep_saliency(bool keep) { keep_attention_ = keep; }
std::string Vit2dEncoder::saliency_method() const { return "attention rollout"; }

// Attention rollout: the product over the layers of (attention + identity) / 2, rows renormalised;
// the class token's row over the patches is the map.
torch::Tensor Vit2dEncoder::saliency() const {
  namespace F = torch::nn::functional;
  TORCH_CHECK(!attention_.empty(), "attention rollout needs a forward with the attention kept");
  const auto tokens = attention_.front().size(-1);
  const auto identity = torch::eye(tokens, attention_.front().options());
  auto rollout = identity.expand_as(attention_.front()).clone();
  for (const auto& a : attention_) {
    auto mixed = 0.5 * a + 0.5 * identity;
    mixed = mixed / mixed.sum(-1, true);
    rollout = torch::matmul(mixed, rollout);
  }
  const auto& s = input_shape_;  // [N, S, C, H, W]
  const int64_t patch = patches_->options.kernel_size()->at(0);
  const auto grid = rollout.select(1, 0).slice(1, 1).reshape({-1, 1, s[3] / patch, s[4] / patch});
  const auto up = F::interpolate(
      grid,
      F::InterpolateFuncOptions().size(std::vector<int64_t>{s[3], s[4]}).mode(torch::kBilinear).align_corners(false));
  return unit_maximum(up.view({s[0], s[1], s[3], s[4]}));
}

}  // namespace vbiopsy::encoders
