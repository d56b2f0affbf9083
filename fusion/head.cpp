#include "fusion/head.h"

#include <torch/nn/functional.h>

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::fusion {

namespace nnf = torch::nn::functional;

std::vector<core::OptionSpec> head_option_specs() {
  return {
      {"head", "softmax", "softmax | ordinal (CORAL) | hierarchical (zero vs >=low, then low vs positive)"},
      {"loss", "cross_entropy", "cross_entropy | focal (softmax head only)"},
      {"focal_gamma", "2", "focusing parameter of the focal loss"},
      {"class_weights", "balanced", "balanced (n / (3 n_k) on the training labels) | none | w_zero,w_low,w_positive"}};
}

HeadSpec head_spec_from(const std::map<std::string, std::string>& options, const std::vector<int64_t>& labels) {
  const core::ResolvedOptions resolved("head", head_option_specs(), options);
  HeadSpec spec;
  spec.kind = resolved.text("head");
  if (spec.kind != "softmax" && spec.kind != "ordinal" && spec.kind != "hierarchical")
    core::fail("head: option 'head' = '", spec.kind, "', expected softmax, ordinal or hierarchical");
  spec.loss = resolved.text("loss");
  if (spec.loss != "cross_entropy" && spec.loss != "focal")
    core::fail("head: option 'loss' = '", spec.loss, "', expected cross_entropy or focal");
  if (spec.loss == "focal" && spec.kind != "softmax")
    core::fail("head: loss = focal needs head = softmax, got head = ", spec.kind);
  spec.focal_gamma = resolved.real("focal_gamma");
  const std::string weights = resolved.text("class_weights");
  if (weights == "balanced") {
    std::vector<double> counts(kClasses, 0.0);
    for (auto y : labels) {
      if (y < 0 || y >= kClasses) core::fail("head: label ", y, " outside 0..2");
      counts[y] += 1;
    }
    for (double count : counts)
      spec.class_weights.push_back(count > 0 ? static_cast<double>(labels.size()) / (kClasses * count) : 0.0);
  } else if (weights != "none") {
    for (const auto& part : core::split(weights, ',')) {
      const auto value = core::parse_double(core::trim(part));
      if (!value || *value < 0)
        core::fail("head: option 'class_weights' = '", weights, "', expected balanced, none or three weights >= 0");
      spec.class_weights.push_back(*value);
    }
    if (spec.class_weights.size() != kClasses)
      core::fail("head: option 'class_weights' = '", weights, "' has ", spec.class_weights.size(),
                 " weights, expected 3");
  }
  return spec;
}

HeadImpl::HeadImpl(int64_t in, HeadSpec spec) : spec_(std::move(spec)) {
  const int64_t outputs = spec_.kind == "softmax" ? kClasses : spec_.kind == "ordinal" ? 1 : 2;
  linear_ = register_module("linear", torch::nn::Linear(in, outputs));
  if (spec_.kind == "ordinal") thresholds_ = register_parameter("thresholds", torch::tensor({0.5f, -0.5f}));
  std::vector<float> weights(kClasses, 1.0f);
  for (size_t k = 0; k < spec_.class_weights.size(); ++k) weights[k] = static_cast<float>(spec_.class_weights[k]);
  class_weights_ = register_buffer("class_weights", torch::tensor(weights));
}

torch::Tensor HeadImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 2, "head expects [N,D], got ", x.sizes());
  const auto out = linear_->forward(x);
  return spec_.kind == "ordinal" ? out + thresholds_ : out;  // ordinal: [N, 2] logits of P(y > 0), P(y > 1)
}

torch::Tensor HeadImpl::probabilities(const torch::Tensor& raw) const {
  if (spec_.kind == "softmax") return torch::softmax(raw, 1);
  const auto s = torch::sigmoid(raw);
  if (spec_.kind == "ordinal") {
    // P(y > 1) can exceed P(y > 0) while the thresholds are not yet ordered; clip so that the
    // three probabilities stay a distribution.
    const auto above0 = s.select(1, 0), above1 = torch::minimum(s.select(1, 1), above0);
    return torch::stack({1 - above0, above0 - above1, above1}, 1);
  }
  const auto at_least_low = s.select(1, 0), positive_given = s.select(1, 1);
  return torch::stack({1 - at_least_low, at_least_low * (1 - positive_given), at_least_low * positive_given}, 1);
}

torch::Tensor HeadImpl::loss(const torch::Tensor& raw, const torch::Tensor& targets,
                             const torch::Tensor& include) const {
  TORCH_CHECK(targets.dim() == 1 && targets.size(0) == raw.size(0), "head loss expects targets [", raw.size(0),
              "], got ", targets.sizes());
  if (spec_.kind == "softmax" && spec_.loss == "cross_entropy" && !include.defined())
    // The fused kernel; its weighted mean is the same sum(w_y l) / sum(w_y) as below.
    return nnf::cross_entropy(raw, targets, nnf::CrossEntropyFuncOptions().weight(class_weights_));
  auto weight = class_weights_.index_select(0, targets);
  if (include.defined()) weight = weight * include.to(weight.dtype());
  torch::Tensor per_case;
  if (spec_.kind == "softmax") {
    const auto log_p = torch::log_softmax(raw, 1).gather(1, targets.unsqueeze(1)).squeeze(1);
    per_case = spec_.loss == "focal" ? -torch::pow(1 - log_p.exp(), spec_.focal_gamma) * log_p : -log_p;
  } else if (spec_.kind == "ordinal") {
    const auto levels = torch::stack({targets > 0, targets > 1}, 1).to(raw.dtype());
    per_case = nnf::binary_cross_entropy_with_logits(
                   raw, levels, nnf::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                   .sum(1);
  } else {
    const auto at_least_low = (targets > 0).to(raw.dtype()), positive = (targets > 1).to(raw.dtype());
    const auto options = nnf::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone);
    per_case = nnf::binary_cross_entropy_with_logits(raw.select(1, 0), at_least_low, options) +
               at_least_low * nnf::binary_cross_entropy_with_logits(raw.select(1, 1), positive, options);
  }
  return (per_case * weight).sum() / weight.sum().clamp_min(1e-12);
}

}  // namespace vbiopsy::fusion
