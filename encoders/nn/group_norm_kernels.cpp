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

VBIOPSY_CLONES void lane_sums(const float* x, int64_t positions, double* sums) {
  for (int64_t start = 0; start < positions; start += kFlush) {
    Lanes sum = {};
    for (int64_t p = start; p < positions && p < start + kFlush; ++p) sum += load(x + p * kBlock);
    add_to(sums, sum);
  }
}

VBIOPSY_CLONES void lane_deviations(const float* x, int64_t positions, const float* mean, double* deviations,
                                    double* squares) {
  const Lanes m = load(mean);
  for (int64_t start = 0; start < positions; start += kFlush) {
    Lanes sum = {}, sum_squares = {};
    for (int64_t p = start; p < positions && p < start + kFlush; ++p) {
      const Lanes d = load(x + p * kBlock) - m;
      sum += d;
      sum_squares += d * d;
    }
    add_to(deviations, sum);
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

VBIOPSY_CLONES void masked_gradient(const float* grad, const float* x, const float* y, bool apply_relu, float* masked,
                                    int64_t positions, double* sum_gx, double* sum_g) {
  const Lanes zero = {};
  for (int64_t start = 0; start < positions; start += kFlush) {
    Lanes gx = {}, g_sum = {};
    for (int64_t p = start; p < positions && p < start + kFlush; ++p) {
      Lanes g = load(grad + p * kBlock);
      if (apply_relu) g = load(y + p * kBlock) > zero ? g : zero;
      store(masked + p * kBlock, g);
      gx += g * load(x + p * kBlock);
      g_sum += g;
    }
    add_to(sum_gx, gx);
    add_to(sum_g, g_sum);
  }
}

VBIOPSY_CLONES void input_gradient(const float* a, const float* b, const float* k, const float* x, float* g,
                                   int64_t positions) {
  const Lanes va = load(a), vb = load(b), vk = load(k);
  for (int64_t p = 0; p < positions; ++p) store(g + p * kBlock, va * load(g + p * kBlock) + vb * load(x + p * kBlock) + vk);
}

}  // namespace vbiopsy::encoders::group_norm_kernels
