#include "encoders/nn/group_norm_kernels.h"

// Built with -ffp-contract=off (encoders/CMakeLists.txt): a fused multiply-add in one build and not
// in another would make the builds' results differ.

namespace vbiopsy::encoders::group_norm_kernels {

namespace {

constexpr int64_t kFlush = 64;  // positions between moves of the float lanes to double

#define VBIOPSY_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define VBIOPSY_INLINE inline __attribute__((always_inline))

// The 16 channels of a block as one value (GCC's vector extension: one AVX-512 register, or two or
// four narrower ones).
typedef float Lanes __attribute__((vector_size(kBlock * sizeof(float))));

VBIOPSY_INLINE Lanes load(const float* p) {
  Lanes v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

VBIOPSY_INLINE void store(float* p, Lanes v) { __builtin_memcpy(p, &v, sizeof v); }

VBIOPSY_INLINE void add_to(double* totals, Lanes v) {
  for (int64_t l = 0; l < kBlock; ++l) totals[l] += v[l];
}

VBIOPSY_INLINE Lanes relu(Lanes v) {
  const Lanes zero = {};
  return v < zero ? zero : v;  // NaN stays NaN, as in torch::relu
}

}  // namespace

VBIOPSY_CLONES void shifted_moments(const float* x, int64_t positions, const float* shift, double* sums,
                                    double* squares) {
  const Lanes k = load(shift);
  for (int64_t start = 0; start < positions; start += kFlush) {
    Lanes sum = {}, sum_squares = {};
    for (int64_t p = start; p < positions && p < start + kFlush; ++p) {
      const Lanes d = load(x + p * kBlock) - k;
      sum += d;
      sum_squares += d * d;
    }
    add_to(sums, sum);
    add_to(squares, sum_squares);
  }
}

VBIOPSY_CLONES void normalise(const float* x, const float* residual, const float* scale, const float* shift,
                              bool apply_relu, float* y, int64_t positions) {
  const Lanes a = load(scale), b = load(shift);
  for (int64_t p = 0; p < positions; ++p) {
    Lanes v = load(x + p * kBlock) * a + b;
    if (residual) v += load(residual + p * kBlock);
    store(y + p * kBlock, apply_relu ? relu(v) : v);
  }
}

namespace {

VBIOPSY_INLINE Lanes masked(const float* grad, const float* y, bool apply_relu, int64_t p) {
  const Lanes g = load(grad + p * kBlock), zero = {};
  return apply_relu ? (load(y + p * kBlock) > zero ? g : zero) : g;
}

}  // namespace

VBIOPSY_CLONES void gradient_sums(const float* grad, const float* x, const float* y, bool apply_relu, float* masked_out,
                                  int64_t positions, double* sum_gx, double* sum_g) {
  for (int64_t start = 0; start < positions; start += kFlush) {
    Lanes gx = {}, g_sum = {};
    for (int64_t p = start; p < positions && p < start + kFlush; ++p) {
      const Lanes g = masked(grad, y, apply_relu, p);
      if (masked_out) store(masked_out + p * kBlock, g);
      gx += g * load(x + p * kBlock);
      g_sum += g;
    }
    add_to(sum_gx, gx);
    add_to(sum_g, g_sum);
  }
}

VBIOPSY_CLONES void input_gradient(const float* a, const float* b, const float* k, const float* grad, const float* x,
                                   const float* y, bool apply_relu, float* out, int64_t positions) {
  const Lanes va = load(a), vb = load(b), vk = load(k);
  for (int64_t p = 0; p < positions; ++p)
    store(out + p * kBlock, va * masked(grad, y, apply_relu, p) + vb * load(x + p * kBlock) + vk);
}

}  // namespace vbiopsy::encoders::group_norm_kernels
