#include "fusion/builtin.h"

namespace vbiopsy::fusion {

std::vector<core::OptionSpec> GatedFusion::option_specs() {
  return {{"dim", "64", "width of the projected embeddings"}, {"dropout", "0.1", "dropout probability"}};
}

GatedFusion::GatedFusion(const core::ResolvedOptions& options, const std::vector<int64_t>& dims, const HeadSpec& head)
    : dims_(dims) {
  const int64_t dim = options.integer("dim");
  for (size_t m = 0; m < dims.size(); ++m)
    projections_.push_back(register_module("projection" + std::to_string(m), torch::nn::Linear(dims[m], dim)));
  // The gates see every present modality (absent ones as zeros), so one modality's weight can
  // depend on what the others show for the same case.
  gate_ = register_module(
      "gate", torch::nn::Linear(dim * static_cast<int64_t>(dims.size()), static_cast<int64_t>(dims.size())));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.probability("dropout")));
  head_ = register_module("head", Head(dim, head));
}

FusionOutput GatedFusion::forward(const FusionInput& input, const torch::Tensor& targets) {
  check_fusion_input(kName, input, dims_);
  const auto embeddings = zero_absent(input);
  const auto present = input.present.to(torch::kBool);
  std::vector<torch::Tensor> projected;
  for (size_t m = 0; m < projections_.size(); ++m) {
    const auto h = torch::gelu(projections_[m]->forward(embeddings[m]));
    projected.push_back(torch::where(present.select(1, static_cast<int64_t>(m)).unsqueeze(1), h, torch::zeros_like(h)));
  }
  const auto stacked = torch::stack(projected, 1);  // [N, M, dim]
  const auto logits = gate_->forward(dropout_->forward(stacked.flatten(1))).masked_fill(present.logical_not(), -1e9);
  const auto gates = torch::softmax(logits, 1) * present.to(logits.dtype());
  const auto raw = head_->forward((gates.unsqueeze(-1) * stacked).sum(1));
  FusionOutput out;
  out.probabilities = head_->probabilities(raw);
  out.modality_weights = gates;
  if (targets.defined()) out.loss = head_->loss(raw, targets);
  return out;
}

}  // namespace vbiopsy::fusion
