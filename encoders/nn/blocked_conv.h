#pragma once
// Convolutions on oneDNN's blocked channel layout, for the ResNet trunks of the CNN encoders.
//
// Why: LibTorch 1.13 runs its CPU convolutions with oneDNN, which computes in a blocked layout
// (16 or 8 channels innermost, "nChw16c"), but takes and returns NCHW tensors: every convolution reorders
// its input and output, and in backward its output gradient (twice), input and input gradient —
// a third of cnn2d's training step. Here the trunk's activations stay blocked from the stem's output
// to the pooling, stored as ordinary tensors [N, C/B, spatial..., B], and the convolutions call
// the same oneDNN library (libdnnl, the one LibTorch links) directly. Weights stay the modules' own
// NCHW parameters; they are reordered per call, which costs little (they are small).
#include <torch/types.h>

namespace vbiopsy::encoders {

// Channels per block of the blocked layout: 16 (one AVX-512 vector of floats) or 8 (AVX2's).
bool is_channel_block(int64_t block);

// The channel block for a ResNet trunk on this CPU: the larger of 16 and 8 that divides `width` and
// for which oneDNN has native (not reference) kernels of a block's 3x3 convolution, forward and
// backward. 0: none, run NCHW. (oneDNN falls back to its reference loops, hundreds of times slower,
// for a layout the CPU's instruction set has no kernels for, e.g. 16-channel blocks without AVX-512.)
int64_t native_channel_block(int dims, int64_t width);

// A blocked [N, C/B, spatial..., B] tensor as the [N, C, spatial...] tensor it holds.
torch::Tensor unblock_channels(const torch::Tensor& blocked);
// The inverse; C must be a multiple of the block.
torch::Tensor block_channels(const torch::Tensor& plain, int64_t block);

// Convolution without bias, equal padding and stride in every spatial dimension (2D or 3D), with
// autograd. `x` is blocked when `x_blocked`, else a plain [N, C, spatial...] tensor of any channel
// count (the trunk's input); weight is plain [OC, C, k...], OC a multiple of `block`. The result is
// blocked by `block` (x's block too when it is blocked). float only. A geometry oneDNN has no
// native kernels for in the blocked layout (e.g. a one-channel stem into 8-channel blocks) runs
// LibTorch's convolution on the plain tensor instead.
torch::Tensor blocked_convolution(const torch::Tensor& x, bool x_blocked, const torch::Tensor& weight, int64_t stride,
                                  int64_t padding, int64_t block);

}  // namespace vbiopsy::encoders
