#pragma once
// The loops of GroupNorm (group_norm.h) over one tile of oneDNN's blocked layout: `positions` rows of
// `block` channels (8 or 16: the channel block's values for every spatial position of one case).
// Plain C++, no LibTorch; float only, as the blocked convolutions are.
//
// Sums are kept in float lanes (one per channel) and moved to double every 64 positions, so they
// are accurate to about double's order for any image size; the AVX-512, AVX2 and baseline builds
// of these loops (chosen at load time for the CPU) add in the same order and give the same bits.
#include <cstdint>

namespace vbiopsy::encoders::group_norm_kernels {

// With d = x - shift[l]: sums[l] += sum d, squares[l] += sum d^2 over the positions. A shift near
// the mean (the caller takes a value of the channel) keeps the squares free of cancellation.
void shifted_moments(int64_t block, const float* x, int64_t positions, const float* shift, double* sums,
                     double* squares);

// y = x * scale[l] + shift[l] (+ residual when given), then ReLU when asked; y may be x.
void normalise(int64_t block, const float* x, const float* residual, const float* scale, const float* shift, bool relu,
               float* y, int64_t positions);

// With g = grad, zeroed where the ReLU output y is not positive when `relu` (as torch::relu's
// backward): sum_gx[l] += sum(g * x), sum_g[l] += sum(g); g is also stored to `masked` when given.
void gradient_sums(int64_t block, const float* grad, const float* x, const float* y, bool relu, float* masked,
                   int64_t positions, double* sum_gx, double* sum_g);

// out = a[l] * g + b[l] * x + k[l], with g as in gradient_sums: the input gradient.
void input_gradient(int64_t block, const float* a, const float* b, const float* k, const float* grad, const float* x,
                    const float* y, bool relu, float* out, int64_t positions);

}  // namespace vbiopsy::encoders::group_norm_kernels
