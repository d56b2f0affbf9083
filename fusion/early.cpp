#include "fusion/builtin.h"

#include <numeric>

namespace vbiopsy::fusion {

std::vector<core::OptionSpec> EarlyFusion::option_specs() {
  return {{"hidden", "64", "hidden width of the MLP"},
          {"layers", "1", "hidden layers"},
          {"dropout", "0.2", "dropout probability"}};
}

EarlyFusion::EarlyFusion(const core::ResolvedOptions& options, const std::vector<int64_t>& dims, const HeadSpec& head)
    : dims_(dims) {
  const int64_t in = std::accumulate(dims.begin(), dims.end(), int64_t{0}) + static_cast<int64_t>(dims.size());
  const int64_t hidden = options.integer("hidden");
  mlp_ = register_module("mlp", encoders::Mlp(encoders::MlpOptions(in, hidden)
                                                  .hidden(hidden)
                                                  .layers(options.integer("layers"))
                                                  .dropout(options.probability("dropout"))));
  head_ = register_module("head", Head(hidden, head));
}

FusionOutput EarlyFusion::forward(const FusionInput& input, const torch::Tensor& targets) {
  check_fusion_input(kName, input, dims_);
  auto parts = zero_absent(input);
  // The presence flags let the MLP tell "absent" from "an embedding of zeros".
  parts.push_back(input.present.to(parts.front().dtype()));
  const auto raw = head_->forward(torch::gelu(mlp_->forward(torch::cat(parts, 1))));
  FusionOutput out;
  out.probabilities = head_->probabilities(raw);
  if (targets.defined()) out.loss = head_->loss(raw, targets);
  return out;
}

}  // namespace vbiopsy::fusion
