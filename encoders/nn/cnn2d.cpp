#include "encoders/nn/builtin.h"

namespace vbiopsy::encoders {

std::vector<core::OptionSpec> Cnn2dEncoder::option_specs() {
  return {{"width", "16",
           "channels of the first stage (doubling per stage); a multiple of 8 (16 on AVX-512) trains in oneDNN's "
           "blocked layout, faster"},
          {"stages", "3", "ResNet stages"},
          {"blocks", "1", "basic blocks per stage"},
          {"groups", "8", "GroupNorm groups"},
          {"pooling", "mean", "pooling over views/frames: mean or attention"},
          {"embedding", "64", "embedding size"}};
}

Cnn2dEncoder::Cnn2dEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& shape)
    : embedding_(options.integer("embedding")) {
  require_rank(kName, shape, 4, "[V,C,H,W] (views or frames x channels x height x width)");
  const std::string pooling = options.text("pooling");
  if (pooling != "mean" && pooling != "attention")
    core::fail("encoder 'cnn2d': option 'pooling' = '", pooling, "', expected mean or attention");
  attention_pooling_ = pooling == "attention";
  trunk_ = register_module("trunk", ResNet(ResNetOptions(shape[1])
                                               .width(options.integer("width"))
                                               .stages(options.integer("stages"))
                                               .blocks(options.integer("blocks"))
                                               .groups(options.integer("groups")),
                                           2));
  if (attention_pooling_) pool_ = register_module("pool", AttentionPool(trunk_->features(), trunk_->features()));
  out_ = register_module("out", torch::nn::Linear(trunk_->features(), embedding_));
}

torch::Tensor Cnn2dEncoder::forward(const EncoderInput& input) {
  const auto& x = input.values;
  TORCH_CHECK(x.dim() == 5, "cnn2d expects [N,V,C,H,W], got ", x.sizes());
  const int64_t n = x.size(0), views = x.size(1);
  const auto mask = items_present(input.item_mask, n, views);
  const auto features = trunk_->forward(x.flatten(0, 1)).view({n, views, -1});
  const auto pooled = attention_pooling_ ? std::get<0>(pool_->forward(features, mask)) : masked_mean(features, mask);
  return out_->forward(pooled);
}

}  // namespace vbiopsy::encoders
