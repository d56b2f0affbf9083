#pragma once
// GroupNorm fused with the residual addition and ReLU that follow it in a ResNet block:
// y = relu(group_norm(x) + residual).
//
// On the blocked activations of blocked_conv.h ([N, C/B, spatial..., B], B = 8 or 16) it runs our own kernels,
// one pass over the activations per direction: LibTorch 1.13 has no GroupNorm for that layout, and
// its GroupNorm, addition and ReLU are three operators that each read and write the activations in
// both passes. On plain [N, C, spatial...] tensors it is LibTorch's own operators.
// Statistics are accumulated in double, one case per task, and the parameter gradients summed over
// cases in case order, so results do not depend on the thread count.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace vbiopsy::encoders {

// relu?(group_norm(x, groups, weight, bias, eps) + residual?) for a blocked x; residual is optional
// (undefined) and of x's shape. float only.
torch::Tensor blocked_group_norm_act(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                     const torch::Tensor& residual, int64_t groups, bool relu, double eps = 1e-5);

// The module form, with `weight` and `bias` parameters named as torch::nn::GroupNorm names them, so
// bundles saved with either load into the other. `blocked` chooses the layout it takes.
class GroupNormActImpl : public torch::nn::Module {
 public:
  GroupNormActImpl(int64_t groups, int64_t channels, bool relu, bool blocked);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual = {});

  torch::Tensor weight, bias;

 private:
  int64_t groups_;
  bool relu_, blocked_;
};
TORCH_MODULE(GroupNormAct);

}  // namespace vbiopsy::encoders
