#include "encoders/nn/group_norm.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "encoders/nn/blocked_conv.h"
#include "encoders/nn/group_norm_kernels.h"

namespace vbiopsy::encoders {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
namespace kernels = group_norm_kernels;

// A blocked tensor [N, C/B, S..., B] as cases x blocks x tiles of `positions` rows of B channels.
struct Shape {
  Shape(const torch::Tensor& t, int64_t g)
      : cases(t.size(0)),
        blocks(t.size(1)),
        block(t.size(-1)),
        positions(t.numel() / std::max<int64_t>(1, cases * blocks * block)),
        channels(blocks * block),
        groups(g) {}
  int64_t cases, blocks, block, positions, channels, groups;
  int64_t per_group() const { return channels / groups; }
  int64_t tile(int64_t n, int64_t b) const { return (n * blocks + b) * positions * block; }
  double group_count() const { return static_cast<double>(per_group() * positions); }
};

// Forward of one case: the groups' statistics (saved for backward), then the outputs.
void forward_case(const Shape& s, int64_t n, const float* x, const float* residual, const float* weight,
                  const float* bias, bool relu, float* y, double* mean, double* rstd, double eps) {
  const int64_t C = s.channels, D = s.per_group();
  // One pass of shifted sums, the shift being each channel's first value (near its mean, unlike 0):
  // with d = x - k, sum (x - mean)^2 = sum d^2 - 2 (mean - k) sum d + count (mean - k)^2.
  std::vector<float> first(C, 0.0f);
  std::vector<double> deviations(C, 0.0), squares(C, 0.0);
  for (int64_t b = 0; b < s.blocks; ++b) {
    const float* tile = x + s.tile(n, b);
    if (s.positions > 0) std::copy_n(tile, s.block, &first[b * s.block]);
    kernels::shifted_moments(s.block, tile, s.positions, &first[b * s.block], &deviations[b * s.block],
                             &squares[b * s.block]);
  }
  std::vector<float> scale(C), shift(C);
  for (int64_t g = 0; g < s.groups; ++g) {
    double total = 0;
    for (int64_t c = g * D; c < (g + 1) * D; ++c) total += static_cast<double>(first[c]) * s.positions + deviations[c];
    const double m = total / s.group_count();
    double squared = 0;
    for (int64_t c = g * D; c < (g + 1) * D; ++c) {
      const double offset = m - static_cast<double>(first[c]);
      squared += squares[c] - 2.0 * offset * deviations[c] + static_cast<double>(s.positions) * offset * offset;
    }
    const double r = 1.0 / std::sqrt(std::max(squared, 0.0) / s.group_count() + eps);
    mean[n * s.groups + g] = m;
    rstd[n * s.groups + g] = r;
    for (int64_t c = g * D; c < (g + 1) * D; ++c) {
      scale[c] = static_cast<float>(r * weight[c]);
      shift[c] = static_cast<float>(bias[c] - m * r * weight[c]);
    }
  }
  for (int64_t b = 0; b < s.blocks; ++b) {
    const int64_t tile = s.tile(n, b);
    kernels::normalise(s.block, x + tile, residual ? residual + tile : nullptr, &scale[b * s.block],
                       &shift[b * s.block], relu, y + tile, s.positions);
  }
}

// Backward of one case; `grad_residual`, when given, receives the masked gradient, which is the
// residual's. The per-case parameter gradients go to row n of weight_grad and bias_grad.
void backward_case(const Shape& s, int64_t n, const float* grad, const float* x, const float* y, const float* weight,
                   bool relu, const double* mean, const double* rstd, float* grad_x, float* grad_residual,
                   double* weight_grad, double* bias_grad) {
  const int64_t C = s.channels, D = s.per_group();
  std::vector<double> ds(C, 0.0), db(C, 0.0);
  // With a residual, the masked gradient is its gradient: stored, then read instead of recomputed.
  for (int64_t b = 0; b < s.blocks; ++b) {
    const int64_t tile = s.tile(n, b);
    kernels::gradient_sums(s.block, grad + tile, x + tile, y + tile, relu,
                           grad_residual ? grad_residual + tile : nullptr, s.positions, &ds[b * s.block],
                           &db[b * s.block]);
  }
  std::vector<float> a(C), b_coefficient(C), k(C);
  for (int64_t g = 0; g < s.groups; ++g) {
    const double m = mean[n * s.groups + g], r = rstd[n * s.groups + g];
    double ds_group = 0, db_group = 0;
    for (int64_t c = g * D; c < (g + 1) * D; ++c) {
      ds_group += ds[c] * weight[c];
      db_group += db[c] * weight[c];
      weight_grad[n * C + c] = (ds[c] - m * db[c]) * r;
      bias_grad[n * C + c] = db[c];
    }
    // d loss / d x = r w g + c2 x + c3 (the three terms of PyTorch's GroupNorm backward).
    const double c2 = (db_group * m - ds_group) * r * r * r / s.group_count();
    const double c3 = -c2 * m - db_group * r / s.group_count();
    for (int64_t c = g * D; c < (g + 1) * D; ++c) {
      a[c] = static_cast<float>(r * weight[c]);
      b_coefficient[c] = static_cast<float>(c2);
      k[c] = static_cast<float>(c3);
    }
  }
  for (int64_t b = 0; b < s.blocks; ++b) {
    const int64_t tile = s.tile(n, b);
    kernels::input_gradient(s.block, &a[b * s.block], &b_coefficient[b * s.block], &k[b * s.block],
                            grad_residual ? grad_residual + tile : grad + tile, x + tile, y + tile,
                            relu && !grad_residual, grad_x + tile, s.positions);
  }
}

// Rows [N, C] of per-case values summed over the cases in case order.
torch::Tensor sum_cases(const torch::Tensor& rows) {
  const int64_t cases = rows.size(0), channels = rows.size(1);
  std::vector<double> total(channels, 0.0);
  const double* data = rows.data_ptr<double>();
  for (int64_t n = 0; n < cases; ++n)
    for (int64_t c = 0; c < channels; ++c) total[c] += data[n * channels + c];
  return torch::tensor(total, torch::kDouble).to(torch::kFloat);
}

// Forward and backward shared by the two autograd functions below (LibTorch 1.13's custom functions
// take no undefined tensor argument, so "no residual" is a function of its own).
struct GroupNormActKernels {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, const torch::Tensor& residual, int64_t groups, bool relu,
                               double eps) {
    const auto input = x.contiguous();
    const auto add = residual.defined() ? residual.contiguous() : torch::Tensor();
    const Shape shape(input, groups);
    auto output = torch::empty_like(input);
    auto mean = torch::empty({shape.cases, groups}, input.options().dtype(torch::kDouble));
    auto rstd = torch::empty_like(mean);
    const auto w = weight.contiguous(), b = bias.contiguous();
    at::parallel_for(0, shape.cases, 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n)
        forward_case(shape, n, input.data_ptr<float>(), add.defined() ? add.data_ptr<float>() : nullptr,
                     w.data_ptr<float>(), b.data_ptr<float>(), relu, output.data_ptr<float>(), mean.data_ptr<double>(),
                     rstd.data_ptr<double>(), eps);
    });
    ctx->save_for_backward({input, w, output, mean, rstd});
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["relu"] = relu;
    ctx->saved_data["residual"] = residual.defined();
    return output;
  }

  // Gradients of x, weight, bias and (when there is one) the residual.
  static variable_list backward(AutogradContext* ctx, const variable_list& grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &input = saved[0], &weight = saved[1], &output = saved[2], &mean = saved[3], &rstd = saved[4];
    const bool relu = ctx->saved_data["relu"].toBool(), has_residual = ctx->saved_data["residual"].toBool();
    const Shape shape(input, ctx->saved_data["groups"].toInt());
    const auto grad = grad_outputs[0].contiguous();
    auto grad_x = torch::empty_like(input);
    auto grad_residual = has_residual ? torch::empty_like(input) : torch::Tensor();
    auto weight_grads = torch::empty({shape.cases, shape.channels}, input.options().dtype(torch::kDouble));
    auto bias_grads = torch::empty_like(weight_grads);
    at::parallel_for(0, shape.cases, 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n)
        backward_case(shape, n, grad.data_ptr<float>(), input.data_ptr<float>(), output.data_ptr<float>(),
                      weight.data_ptr<float>(), relu, mean.data_ptr<double>(), rstd.data_ptr<double>(),
                      grad_x.data_ptr<float>(), has_residual ? grad_residual.data_ptr<float>() : nullptr,
                      weight_grads.data_ptr<double>(), bias_grads.data_ptr<double>());
    });
    variable_list grads{grad_x, sum_cases(weight_grads), sum_cases(bias_grads)};
    if (has_residual) grads.push_back(grad_residual);
    return grads;
  }
};

class GroupNormActFunction : public torch::autograd::Function<GroupNormActFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, int64_t groups, bool relu, double eps) {
    return GroupNormActKernels::forward(ctx, x, weight, bias, {}, groups, relu, eps);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto grads = GroupNormActKernels::backward(ctx, grad_outputs);
    grads.resize(6);  // none for groups, relu, eps
    return grads;
  }
};

class GroupNormAddActFunction : public torch::autograd::Function<GroupNormAddActFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, const torch::Tensor& residual, int64_t groups, bool relu,
                               double eps) {
    return GroupNormActKernels::forward(ctx, x, weight, bias, residual, groups, relu, eps);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto grads = GroupNormActKernels::backward(ctx, grad_outputs);
    grads.resize(7);
    return grads;
  }
};

}  // namespace

torch::Tensor blocked_group_norm_act(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                     const torch::Tensor& residual, int64_t groups, bool relu, double eps) {
  TORCH_CHECK(x.dim() >= 3 && is_channel_block(x.size(-1)),
              "blocked group norm expects [N,C/B,spatial...,B], B = 8 or 16, got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat,
              "blocked group norm is float only, got ", x.scalar_type());
  const int64_t channels = x.size(1) * x.size(-1);
  TORCH_CHECK(groups > 0 && channels % groups == 0, "group norm: ", channels, " channels are not divisible into ",
              groups, " groups");
  TORCH_CHECK(weight.dim() == 1 && weight.size(0) == channels && bias.sizes() == weight.sizes(),
              "group norm: weight and bias must be [", channels, "], got ", weight.sizes(), " and ", bias.sizes());
  TORCH_CHECK(!residual.defined() || (residual.sizes() == x.sizes() && residual.scalar_type() == x.scalar_type()),
              "group norm: residual ", residual.sizes(), " must match the input ", x.sizes());
  if (residual.defined()) return GroupNormAddActFunction::apply(x, weight, bias, residual, groups, relu, eps);
  return GroupNormActFunction::apply(x, weight, bias, groups, relu, eps);
}

GroupNormActImpl::GroupNormActImpl(int64_t groups, int64_t channels, bool relu, bool blocked)
    : groups_(groups), relu_(relu), blocked_(blocked) {
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
}

torch::Tensor GroupNormActImpl::forward(const torch::Tensor& x, const torch::Tensor& residual) {
  if (blocked_) return blocked_group_norm_act(x, weight, bias, residual, groups_, relu_);
  auto y = torch::group_norm(x, groups_, weight, bias, 1e-5);
  if (residual.defined()) y.add_(residual);
  return relu_ ? y.relu_() : y;
}

}  // namespace vbiopsy::encoders
