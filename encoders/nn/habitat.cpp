#include "encoders/nn/builtin.h"

#include <torch/nn/functional.h>

namespace vbiopsy::encoders {

std::vector<core::OptionSpec> HabitatEncoder::option_specs() {
  return {{"hidden", "32", "per-habitat hidden width"},
          {"embedding", "32", "embedding size"},
          {"dropout", "0.2", "dropout probability"}};
}

HabitatEncoder::HabitatEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& shape)
    : embedding_(options.integer("embedding")) {
  require_rank(kName, shape, 2, "[H,F] (habitats x features, padded to the largest count)");
  const int64_t hidden = options.integer("hidden");
  item_ =
      register_module("item", Mlp(MlpOptions(shape[1], hidden).hidden(hidden).dropout(options.probability("dropout"))));
  pool_ = register_module("pool", AttentionPool(hidden, hidden));
  out_ = register_module("out", torch::nn::Linear(hidden, embedding_));
}

torch::Tensor HabitatEncoder::forward(const EncoderInput& input) {
  const auto& x = input.values;
  TORCH_CHECK(x.dim() == 3, "habitat encoder expects [N,H,F], got ", x.sizes());
  const auto mask = items_present(input.item_mask, x.size(0), x.size(1));
  // Absent habitats are padding: zero them so that whatever they hold cannot reach the output.
  const auto items = item_->forward(x.masked_fill(mask.logical_not().unsqueeze(-1), 0.0));
  auto [pooled, weights] = pool_->forward(items, mask);
  last_weights_ = weights.detach();
  return out_->forward(pooled);
}

}  // namespace vbiopsy::encoders
