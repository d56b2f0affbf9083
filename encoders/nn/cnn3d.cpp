#include "encoders/nn/builtin.h"

namespace vbiopsy::encoders {

std::vector<core::OptionSpec> Cnn3dEncoder::option_specs() {
  return {{"width", "8",
           "channels of the first stage (doubling per stage); a multiple of 8 (16 on AVX-512) trains in oneDNN's "
           "blocked layout, faster"},
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
  return out_->forward(trunk_->forward(input.values));
}

}  // namespace vbiopsy::encoders
