#include "encoders/nn/group_norm_kernels.h"

// Built with -ffp-contract=off (encoders/CMakeLists.txt): a fused multiply-add in one build and not
// in another would make the builds' results differ.

namespace vbiopsy::encoders::group_norm_kernels {

namespace {

constexpr int64_t kFlush = 64;  // positions between moves of the float lanes to double

#define VBIOPSY_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define VBIOPSY_INLINE inline __attribute__((always_inline))

// The B channels of a block as one value (GCC's vector extension: one register or a few narrower
// ones, depending on the build).
template <int B>
struct LanesOf {
  typedef float type __attribute__((vector_size(B * sizeof(float))));
};
template <int B>
using Lanes = typename LanesOf<B>::type;

template <int B>
VBIOPSY_INLINE Lanes<B> load(const float* p) {
  Lanes<B> v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

template <int B>
VBIOPSY_INLINE void store(float* p, Lanes<B> v) {
  __builtin_memcpy(p, &v, sizeof v);
}

template <int B>
VBIOPSY_INLINE void add_to(double* totals, Lanes<B> v) {
  for (int l = 0; l < B; ++l) totals[l] += v[l];
}

// g, zeroed where y is not positive when apply_relu (NaN in y zeroes it, as torch::relu's backward).
template <int B>
VBIOPSY_INLINE Lanes<B> masked(const float* grad, const float* y, bool apply_relu, int64_t p) {
  const Lanes<B> g = load<B>(grad + p * B), zero = {};
  return apply_relu ? (load<B>(y + p * B) > zero ? g : zero) : g;
}

template <int B>
VBIOPSY_INLINE void shifted_moments_impl(const float* x, int64_t positions, const float* shift, double* sums,
                                         double* squares) {
  const Lanes<B> k = load<B>(shift);
  for (int64_t start = 0; start < positions; start += kFlush) {
    Lanes<B> sum = {}, sum_squares = {};
    for (int64_t p = start; p < positions && p < start + kFlush; ++p) {
      const Lanes<B> d = load<B>(x + p * B) - k;
      sum += d;
      sum_squares += d * d;
    }
    add_to<B>(sums, sum);
    add_to<B>(squares, sum_squares);
  }
}

template <int B>
VBIOPSY_INLINE void normalise_impl(const float* x, const float* residual, const float* scale, const float* shift,
                                   bool apply_relu, float* y, int64_t positions) {
  const Lanes<B> a = load<B>(scale), b = load<B>(shift), zero = {};
  for (int64_t p = 0; p < positions; ++p) {
    Lanes<B> v = load<B>(x + p * B) * a + b;
    if (residual) v += load<B>(residual + p * B);
    if (apply_relu) v = v < zero ? zero : v;  // NaN stays NaN, as in torch::relu
    store<B>(y + p * B, v);
  }
}

template <int B>
VBIOPSY_INLINE void gradient_sums_impl(const float* grad, const float* x, const float* y, bool apply_relu,
                                       float* masked_out, int64_t positions, double* sum_gx, double* sum_g) {
  for (int64_t start = 0; start < positions; start += kFlush) {
    Lanes<B> gx = {}, g_sum = {};
    for (int64_t p = start; p < positions && p < start + kFlush; ++p) {
      const Lanes<B> g = masked<B>(grad, y, apply_relu, p);
      if (masked_out) store<B>(masked_out + p * B, g);
      gx += g * load<B>(x + p * B);
      g_sum += g;
    }
    add_to<B>(sum_gx, gx);
    add_to<B>(sum_g, g_sum);
  }
}

template <int B>
VBIOPSY_INLINE void input_gradient_impl(const float* a, const float* b, const float* k, const float* grad,
                                        const float* x, const float* y, bool apply_relu, float* out,
                                        int64_t positions) {
  const Lanes<B> va = load<B>(a), vb = load<B>(b), vk = load<B>(k);
  for (int64_t p = 0; p < positions; ++p)
    store<B>(out + p * B, va * masked<B>(grad, y, apply_relu, p) + vb * load<B>(x + p * B) + vk);
}

}  // namespace

// Each entry point holds both block sizes' loops, so one clone per instruction set serves both.
VBIOPSY_CLONES void shifted_moments(int64_t block, const float* x, int64_t positions, const float* shift, double* sums,
                                    double* squares) {
  if (block == 16)
    shifted_moments_impl<16>(x, positions, shift, sums, squares);
  else
    shifted_moments_impl<8>(x, positions, shift, sums, squares);
}

VBIOPSY_CLONES void normalise(int64_t block, const float* x, const float* residual, const float* scale,
                              const float* shift, bool relu, float* y, int64_t positions) {
  if (block == 16)
    normalise_impl<16>(x, residual, scale, shift, relu, y, positions);
  else
    normalise_impl<8>(x, residual, scale, shift, relu, y, positions);
}

VBIOPSY_CLONES void gradient_sums(int64_t block, const float* grad, const float* x, const float* y, bool relu,
                                  float* masked_out, int64_t positions, double* sum_gx, double* sum_g) {
  if (block == 16)
    gradient_sums_impl<16>(grad, x, y, relu, masked_out, positions, sum_gx, sum_g);
  else
    gradient_sums_impl<8>(grad, x, y, relu, masked_out, positions, sum_gx, sum_g);
}

VBIOPSY_CLONES void input_gradient(int64_t block, const float* a, const float* b, const float* k, const float* grad,
                                   const float* x, const float* y, bool relu, float* out, int64_t positions) {
  if (block == 16)
    input_gradient_impl<16>(a, b, k, grad, x, y, relu, out, positions);
  else
    input_gradient_impl<8>(a, b, k, grad, x, y, relu, out, positions);
}

}  // namespace vbiopsy::encoders::group_norm_kernels
