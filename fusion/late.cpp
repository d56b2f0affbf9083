#include "fusion/builtin.h"

namespace vbiopsy::fusion {

std::vector<core::OptionSpec> LateFusion::option_specs() {
  return {{"combine", "mean",
           "mean | weighted (learned modality weights) | stacking (a classifier fitted on inner-fold out-of-fold "
           "per-modality probabilities; see fusion/stacking.h)"}};
}

LateFusion::LateFusion(const core::ResolvedOptions& options, const std::vector<int64_t>& dims, const HeadSpec& head)
    : dims_(dims), combine_(options.text("combine")) {
  if (combine_ != "mean" && combine_ != "weighted" && combine_ != "stacking")
    core::fail("fusion method 'late': option 'combine' = '", combine_, "', expected mean, weighted or stacking");
  for (size_t m = 0; m < dims.size(); ++m)
    heads_.push_back(register_module("head" + std::to_string(m), Head(dims[m], head)));
  weight_logits_ =
      register_parameter("weight_logits", torch::zeros({static_cast<int64_t>(dims.size())}), combine_ == "weighted");
  std::vector<float> weights(kClasses, 1.0f);
  for (size_t k = 0; k < head.class_weights.size(); ++k) weights[k] = static_cast<float>(head.class_weights[k]);
  class_weights_ = register_buffer("class_weights", torch::tensor(weights));
}

FusionOutput LateFusion::forward(const FusionInput& input, const torch::Tensor& targets) {
  const int64_t n = check_fusion_input(kName, input, dims_);
  const auto embeddings = zero_absent(input);
  const auto present = input.present.to(torch::kBool);
  std::vector<torch::Tensor> probabilities;
  torch::Tensor loss;
  for (size_t m = 0; m < heads_.size(); ++m) {
    const auto raw = heads_[m]->forward(embeddings[m]);
    probabilities.push_back(heads_[m]->probabilities(raw));
    if (targets.defined()) {
      // Each head learns only from the cases that have its modality.
      const auto term = heads_[m]->loss(raw, targets, present.select(1, static_cast<int64_t>(m)));
      loss = loss.defined() ? loss + term : term;
    }
  }
  const auto per_modality = torch::stack(probabilities, 1);  // [N, M, 3]
  // Weights over the present modalities only: softmax of the learned logits (all equal for mean).
  const auto logits = weight_logits_.unsqueeze(0).expand({n, -1}).masked_fill(present.logical_not(), -1e9);
  const auto weights = torch::softmax(logits, 1) * present.to(logits.dtype());
  FusionOutput out;
  out.modality_probabilities = per_modality;
  out.modality_weights = weights;
  // A case with none of the modalities gets the uniform distribution (its weights are all zero).
  const auto uncovered = (1 - weights.sum(1, true)).clamp_min(0);
  out.probabilities = (weights.unsqueeze(-1) * per_modality).sum(1) + uncovered / static_cast<double>(kClasses);
  if (targets.defined()) {
    loss = loss / static_cast<double>(heads_.size());
    if (combine_ == "weighted") {
      // The weights learn from the combined prediction's class-weighted log-likelihood.
      const auto w = class_weights_.index_select(0, targets);
      const auto log_p = out.probabilities.gather(1, targets.unsqueeze(1)).squeeze(1).clamp_min(1e-7).log();
      loss = loss - (w * log_p).sum() / w.sum();
    }
    out.loss = loss;
  }
  return out;
}

}  // namespace vbiopsy::fusion
