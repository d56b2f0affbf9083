#pragma once
// The loops of GroupNorm (group_norm.h) over one tile of oneDNN's blocked layout: `positions` rows of
// 16 channels (the channel block's values for every spatial position of one case). Plain C++, no
// LibTorch; float only, as the blocked convolutions are.
//
// Sums are kept in 16 float lanes (one per channel) and moved to double every 64 positions, so they
// are accurate to about double's order for any image size; the AVX-512, AVX2 and baseline builds
// of these loops (chosen at load time for the CPU) add in the same order and give the same bits.
#include <cstdint>

namespace vbiopsy::encoders::group_norm_kernels {

constexpr int64_t kBlock = 16;  // channels per block, oneDNN's nChw16c

// sums[l] += sum over positions of x[p][l].
void lane_sums(const float* x, int64_t positions, double* sums);

// With m the mean rounded to float: deviations[l] += sum (x - m[l]), squares[l] += sum (x - m[l])^2.
void lane_deviations(const float* x, int64_t positions, const float* mean, double* deviations, double* squares);

// y = x * scale[l] + shift[l] (+ residual when given), then ReLU when asked; y may be x.
void normalise(const float* x, const float* residual, const float* scale, const float* shift, bool relu, float* y,
               int64_t positions);

// masked = grad, zeroed where the ReLU output y is not positive when `relu` (as torch::relu's
// backward); sum_gx[l] += sum(masked * x), sum_g[l] += sum(masked).
void masked_gradient(const float* grad, const float* x, const float* y, bool relu, float* masked, int64_t positions,
                     double* sum_gx, double* sum_g);

// g = a[l] * g + b[l] * x + k[l], in place: the input gradient from the masked output gradient g.
void input_gradient(const float* a, const float* b, const float* k, const float* x, float* g, int64_t positions);

}  // namespace vbiopsy::encoders::group_norm_kernels
