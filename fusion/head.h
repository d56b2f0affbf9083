#pragma once
// Classification heads for the three HER2 classes (0 = zero, 1 = low, 2 = positive). A head maps
// a representation [N, D] to raw outputs, turns them into class probabilities [N, 3], and has its
// own loss:
//   softmax      - 3 logits; cross-entropy with class weights, or focal loss (Lin et al. 2017)
//   ordinal      - CORAL (Cao et al. 2020): one shared score, two ordered thresholds,
//                  P(y > k) = sigmoid(s + b_k); zero < low < positive
//   hierarchical - the clinicians' two questions: zero vs >= low, then low vs positive
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "core/registry.h"
#include "datasets/her2.h"

namespace vbiopsy::fusion {

constexpr int64_t kClasses = datasets::kHer2ClassCount;

struct HeadSpec {
  std::string kind = "softmax";        // softmax | ordinal | hierarchical
  std::string loss = "cross_entropy";  // cross_entropy | focal (softmax only)
  double focal_gamma = 2.0;
  std::vector<double> class_weights;  // empty = equal; else one per class
};

// The head options as config keys (head, loss, focal_gamma, class_weights = balanced|none|a,b,c).
std::vector<core::OptionSpec> head_option_specs();
// `labels` are needed for class_weights = balanced (n / (3 n_k) from the training labels).
HeadSpec head_spec_from(const std::map<std::string, std::string>& options, const std::vector<int64_t>& labels);

class HeadImpl : public torch::nn::Module {
 public:
  HeadImpl(int64_t in, HeadSpec spec);
  torch::Tensor forward(const torch::Tensor& x);                // raw outputs
  torch::Tensor probabilities(const torch::Tensor& raw) const;  // [N, 3]
  // Mean loss over the cases where `include` [N] is true (all when undefined); targets [N] int64.
  torch::Tensor loss(const torch::Tensor& raw, const torch::Tensor& targets, const torch::Tensor& include = {}) const;
  const HeadSpec& spec() const { return spec_; }

 private:
  HeadSpec spec_;
  torch::nn::Linear linear_{nullptr};
  torch::Tensor thresholds_;  // ordinal only
  torch::Tensor class_weights_;
};
TORCH_MODULE(Head);

}  // namespace vbiopsy::fusion
