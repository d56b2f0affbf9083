#pragma once
// Convolutions on oneDNN's blocked channel layout, for the ResNet trunks of the CNN encoders.
//
// Why: LibTorch 1.13 runs its CPU convolutions with oneDNN, which computes in a blocked layout
// (16 channels innermost, "nChw16c"), but takes and returns NCHW tensors: every convolution reorders
// its input and output, and in backward its output gradient (twice), input and input gradient —
// a third of cnn2d's training step. Here the trunk's activations stay blocked from the stem's output
// to the pooling, stored as ordinary tensors [N, C/16, spatial..., 16], and the convolutions call
// the same oneDNN library (libdnnl, the one LibTorch links) directly. Weights stay the modules' own
// NCHW parameters; they are reordered per call, which costs little (they are small).
#include <torch/types.h>

namespace vbiopsy::encoders {

// Channels per block of the blocked layout.
constexpr int64_t kChannelBlock = 16;

// A blocked [N, C/16, spatial..., 16] tensor as the [N, C, spatial...] tensor it holds.
torch::Tensor unblock_channels(const torch::Tensor& blocked);
// The inverse; C must be a multiple of 16.
torch::Tensor block_channels(const torch::Tensor& plain);

// Convolution without bias, equal padding and stride in every spatial dimension (2D or 3D), with
// autograd. `x` is blocked when `x_blocked`, else a plain [N, C, spatial...] tensor of any channel
// count (the trunk's input); weight is plain [OC, C, k...], OC a multiple of 16. The result is
// blocked. float only.
torch::Tensor blocked_convolution(const torch::Tensor& x, bool x_blocked, const torch::Tensor& weight, int64_t stride,
                                  int64_t padding);

}  // namespace vbiopsy::encoders
