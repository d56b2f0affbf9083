#include "encoders/nn/builtin.h"

#include <torch/nn/functional/upsampling.h>

namespace vbiopsy::encoders {

std::vector<core::OptionSpec> Cnn3dEncoder::option_specs() {
  return {{"width", "8", "channels of the first stage (doubling per stage); a multiple of 8 (16 on AVX-512) trains in oneDNN's blocked layout, faster"},
          {"stages", "3", "ResNet stages"},
          {"blocks", "1", "basic blocks per stage"},
          {"groups", "4", "GroupNorm groups"},
          {"embedding", "64", "embedding size"}};
}

Cnn3dEncoder::Cnn3dEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& shape)
    : embedding_(options.integer("embedding")) {
  require_rank(kName, shape, 4, "[C,D,H,W] (channels x depth x height x width)");
  trunk_ = register_module("trunk", ResNet(ResNetOptions(shape[0])
                                               .width(options.integer("width"))
                                               .stages(options.integer("stages"))
                                               .blocks(options.integer("blocks"))
                                               .groups(options.integer("groups")),
                                           3));
  out_ = register_module("out", torch::nn::Linear(trunk_->features(), embedding_));
}

torch::Tensor Cnn3dEncoder::forward(const EncoderInput& input) {
  TORCH_CHECK(input.values.dim() == 5, "cnn3d expects [N,C,D,H,W], got ", input.values.sizes());
  input_shape_ = input.values.sizes().vec();
  return out_->forward(trunk_->forward(input.values));
}

void Cnn3dEncoder::keep_saliency(bool keep) { trunk_->keep_feature_maps(keep); }
std::string Cnn3dEncoder::saliency_method() const { return "Grad-CAM"; }

torch::Tensor Cnn3dEncoder::saliency() const {
  namespace F = torch::nn::functional;
  const auto cam = trunk_->grad_cam().unsqueeze(1);  // [N, 1, d, h, w]
  const auto& s = input_shape_;                     // [N, C, D, H, W]
  const auto up =
      F::interpolate(cam, F::InterpolateFuncOptions().size(std::vector<int64_t>{s[2], s[3], s[4]}).mode(torch::kTrilinear).align_corners(false));
  return unit_maximum(up);  // [N, 1, D, H, W]
}

}  // namespace vbiopsy::encoders
