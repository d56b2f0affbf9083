// The blocked-layout trunk (blocked_conv.h, group_norm.h) against LibTorch's own operators on NCHW
// tensors: forward values and every gradient, for the geometries the trunks use and awkward ones.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "encoders/nn/blocked_conv.h"
#include "encoders/nn/group_norm.h"
#include "encoders/nn/layers.h"

namespace vbiopsy::encoders {
namespace {

// Largest |a - b| relative to the largest |b| (1 when b is all zeros).
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  const double scale = std::max(b.abs().max().item<double>(), 1e-12);
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>() / scale;
}

struct ConvCase {
  int dims;
  int64_t in, out, size, kernel, stride;
  bool input_blocked;
};

TEST(BlockedConvolution, MatchesLibTorchsConvolutionAndItsGradients) {
  const std::vector<ConvCase> cases{
      {2, 1, 16, 32, 3, 2, false},  // the stem: plain one-channel input
      {2, 3, 32, 17, 3, 2, false},  // odd size: oneDNN's far-side padding differs from PyTorch's
      {2, 16, 16, 16, 3, 1, true},  // a block's 3x3
      {2, 32, 64, 15, 3, 2, true},  // downsampling, odd size
      {2, 16, 32, 16, 1, 2, true},  // the 1x1 shortcut
      {3, 2, 16, 9, 3, 2, false},   // 3D stem
      {3, 16, 16, 6, 3, 1, true}};  // 3D block
  for (int64_t seed : {1, 2, 3}) {
    torch::manual_seed(seed);
    for (int64_t block : {8, 16})
      for (const auto& c : cases) {
        SCOPED_TRACE(testing::Message() << "seed " << seed << ", block " << block << ", " << c.dims << "D " << c.in
                                        << "->" << c.out << " size " << c.size << " kernel " << c.kernel << " stride "
                                        << c.stride);
        std::vector<int64_t> shape{3, c.in}, kernel{c.out, c.in};
        for (int d = 0; d < c.dims; ++d) {
          shape.push_back(c.size + d);  // unequal sides
          kernel.push_back(c.kernel);
        }
        const auto x = torch::randn(shape).requires_grad_(), weight = (torch::randn(kernel) * 0.2).requires_grad_();
        const int64_t padding = c.kernel / 2;
        const auto reference = c.dims == 2 ? torch::conv2d(x, weight, {}, c.stride, padding)
                                           : torch::conv3d(x, weight, {}, c.stride, padding);
        const auto input = c.input_blocked ? block_channels(x.detach(), block).requires_grad_() : x;
        const auto blocked = blocked_convolution(input, c.input_blocked, weight, c.stride, padding, block);
        const auto output = unblock_channels(blocked);
        EXPECT_LT(relative_error(output, reference), 1e-5);

        const auto upstream = torch::randn(reference.sizes());
        const auto expected = torch::autograd::grad({reference}, {x, weight}, {upstream});
        const auto got = torch::autograd::grad({output}, {input, weight}, {upstream});
        EXPECT_LT(relative_error(c.input_blocked ? unblock_channels(got[0]) : got[0], expected[0]), 1e-5);
        EXPECT_LT(relative_error(got[1], expected[1]), 1e-5);
      }
  }
}

TEST(BlockedConvolution, NamesTheShapeItCannotTake) {
  const auto weight = torch::randn({16, 16, 3, 3});
  try {
    blocked_convolution(torch::randn({2, 2, 8, 8, 16}), true, weight, 1, 1, 16);  // 32 channels for a 16-channel weight
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("input has 32 channels, weight expects 16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(blocked_convolution(torch::randn({2, 16, 8, 8}), true, weight, 1, 1, 16), c10::Error);  // not blocked
  EXPECT_THROW(blocked_convolution(torch::randn({2, 1, 8, 8}), false, torch::randn({8, 1, 3, 3}), 1, 1, 16),
               c10::Error);
  EXPECT_THROW(blocked_convolution(torch::randn({2, 2, 8, 8, 8}), true, weight, 1, 1, 16), c10::Error);  // 8 for 16
  EXPECT_THROW(blocked_convolution(torch::randn({2, 1, 8, 8}), false, torch::randn({12, 1, 3, 3}), 1, 1, 12),
               c10::Error);
}

TEST(BlockedLayout, BlockingRoundTripsAndKeepsChannelOrder) {
  const auto plain = torch::arange(2 * 32 * 3 * 5, torch::kFloat).view({2, 32, 3, 5});
  const auto blocked = block_channels(plain, 16);
  EXPECT_EQ(blocked.sizes(), torch::IntArrayRef({2, 2, 3, 5, 16}));
  EXPECT_EQ(blocked[1][1][2][4][3].item<float>(), plain[1][16 + 3][2][4].item<float>());
  EXPECT_TRUE(torch::equal(unblock_channels(blocked), plain));
  const auto by8 = block_channels(plain, 8);
  EXPECT_EQ(by8.sizes(), torch::IntArrayRef({2, 4, 3, 5, 8}));
  EXPECT_EQ(by8[1][2][2][4][3].item<float>(), plain[1][16 + 3][2][4].item<float>());
  EXPECT_TRUE(torch::equal(unblock_channels(by8), plain));
  EXPECT_THROW(block_channels(plain, 12), c10::Error);
}

// relu?(group_norm(x) + residual?) by LibTorch's operators.
torch::Tensor reference_group_norm(const torch::Tensor& x, int64_t groups, const torch::Tensor& weight,
                                   const torch::Tensor& bias, const torch::Tensor& residual, bool relu) {
  auto y = torch::group_norm(x, groups, weight, bias, 1e-5);
  if (residual.defined()) y = y + residual;
  return relu ? torch::relu(y) : y;
}

TEST(BlockedGroupNorm, MatchesLibTorchsGroupNormAdditionAndReluWithEveryGradient) {
  struct NormCase {
    int64_t channels, groups;
    std::vector<int64_t> spatial;
    bool relu, residual;
    double offset;  // added to x: a mean far from zero tests the variance's precision
  };
  const std::vector<NormCase> cases{{16, 8, {9, 7}, true, false, 0},   {32, 8, {4, 5}, true, true, 0},
                                    {64, 8, {3, 3}, false, false, 0},  {32, 1, {6, 6}, true, true, 0},
                                    {32, 2, {5, 4}, false, true, 0},   {16, 4, {4, 3, 5}, true, false, 0},
                                    {16, 8, {70, 3}, true, false, 100}};  // > 64 positions: several flushes
  for (int64_t seed : {1, 2, 3}) {
    torch::manual_seed(seed);
    for (int64_t block : {8, 16})
      for (const auto& c : cases) {
        SCOPED_TRACE(testing::Message() << "seed " << seed << ", block " << block << ", " << c.channels
                                        << " channels in " << c.groups << " groups, relu " << c.relu << ", residual "
                                        << c.residual);
        std::vector<int64_t> shape{3, c.channels};
        shape.insert(shape.end(), c.spatial.begin(), c.spatial.end());
        const auto x = (torch::randn(shape) + c.offset).requires_grad_();
        const auto weight = (torch::rand({c.channels}) + 0.5).requires_grad_();
        const auto bias = torch::randn({c.channels}).requires_grad_();
        const auto residual = c.residual ? torch::randn(shape).requires_grad_() : torch::Tensor();
        const auto reference = reference_group_norm(x, c.groups, weight, bias, residual, c.relu);

        const auto bx = block_channels(x.detach(), block).requires_grad_();
        const auto br = c.residual ? block_channels(residual.detach(), block).requires_grad_() : torch::Tensor();
        const auto output = unblock_channels(blocked_group_norm_act(bx, weight, bias, br, c.groups, c.relu));
        EXPECT_LT(relative_error(output, reference), 1e-5);

        const auto upstream = torch::randn(shape);
        std::vector<torch::Tensor> ref_inputs{x, weight, bias}, inputs{bx, weight, bias};
        if (c.residual) {
          ref_inputs.push_back(residual);
          inputs.push_back(br);
        }
        const auto expected = torch::autograd::grad({reference}, ref_inputs, {upstream});
        const auto got = torch::autograd::grad({output}, inputs, {upstream});
        // The offset case loses digits in the reference itself (float statistics), hence its looser bound.
        const double tolerance = c.offset == 0 ? 1e-4 : 2e-3;
        EXPECT_LT(relative_error(unblock_channels(got[0]), expected[0]), tolerance) << "input";
        EXPECT_LT(relative_error(got[1], expected[1]), tolerance) << "weight";
        EXPECT_LT(relative_error(got[2], expected[2]), tolerance) << "bias";
        if (c.residual) {
          EXPECT_LT(relative_error(unblock_channels(got[3]), expected[3]), 1e-5) << "residual";
        }
      }
  }
}

TEST(BlockedGroupNorm, TheVarianceOfValuesFarFromZeroIsExact) {
  // x = 1000 + a standard pattern: the normalised values must equal the pattern's, which a
  // one-pass E[x^2] - E[x]^2 in float gets wrong by percent.
  const auto pattern = torch::randn({2, 16, 32, 32}, torch::TensorOptions().dtype(torch::kDouble));
  const auto x = (pattern + 1000).to(torch::kFloat);
  const auto weight = torch::ones({16}), bias = torch::zeros({16});
  const auto got = unblock_channels(blocked_group_norm_act(block_channels(x, 16), weight, bias, {}, 8, false));
  const auto expected =
      torch::group_norm(x.to(torch::kDouble), 8, weight.to(torch::kDouble), bias.to(torch::kDouble), 1e-5);
  EXPECT_LT(relative_error(got, expected), 2e-4);  // float's rounding of 1000 + pattern itself: ~6e-5 / std
}

TEST(BlockedGroupNorm, DoesNotDependOnTheThreadCount) {
  torch::manual_seed(7);
  const auto x = torch::randn({6, 2, 8, 8, 16}).requires_grad_();
  const auto weight = torch::rand({32}).requires_grad_(), bias = torch::randn({32}).requires_grad_();
  const auto upstream = torch::randn(x.sizes());
  std::vector<std::vector<torch::Tensor>> runs;
  const int before = at::get_num_threads();
  for (int threads : {1, 2, 3}) {
    at::set_num_threads(threads);
    const auto y = blocked_group_norm_act(x, weight, bias, {}, 8, true);
    auto grads = torch::autograd::grad({y}, {x, weight, bias}, {upstream});
    grads.push_back(y.detach());
    runs.push_back(grads);
  }
  at::set_num_threads(before);
  for (size_t r = 1; r < runs.size(); ++r)
    for (size_t i = 0; i < runs[0].size(); ++i) EXPECT_TRUE(torch::equal(runs[r][i], runs[0][i])) << r << " " << i;
}

TEST(BlockedTrunk, EqualsTheNchwTrunkWithTheSameWeightsAndParameterNames) {
  for (int dims : {2, 3})
    for (int64_t block : {8, 16}) {
      SCOPED_TRACE(testing::Message() << dims << "D, block " << block);
      torch::manual_seed(dims);
      const auto options = ResNetOptions(2).width(16).stages(3).groups(4);
      ResNet blocked(ResNetOptions(options).channel_block(block), dims);
      ResNet plain(ResNetOptions(options).channel_block(0), dims);
      ASSERT_EQ(blocked->channel_block(), block);
      ASSERT_EQ(plain->channel_block(), 0);
      const auto from = blocked->named_parameters(), to = plain->named_parameters();
      ASSERT_EQ(from.keys(), to.keys());  // bundles of either load into the other
      {
        torch::NoGradGuard no_grad;
        for (const auto& item : from) to[item.key()].copy_(item.value());
      }
      std::vector<int64_t> shape{4, 2};
      for (int d = 0; d < dims; ++d) shape.push_back(dims == 2 ? 32 : 12);
      const auto x = torch::randn(shape);
      const auto a = blocked->forward(x), b = plain->forward(x);
      EXPECT_LT(relative_error(a, b), 1e-4);
      const auto upstream = torch::randn(a.sizes());
      (a * upstream).sum().backward();
      (b * upstream).sum().backward();
      for (const auto& item : from) {
        ASSERT_TRUE(item.value().grad().defined()) << item.key();
        EXPECT_LT(relative_error(item.value().grad(), to[item.key()].grad()), 1e-3) << item.key();
      }
    }
}

TEST(BlockedTrunk, ChoosesTheLargestNativeBlockThatDividesTheWidth) {
  // This machine's oneDNN has native kernels for both blocks (AVX-512); elsewhere the choice may
  // differ but must still divide the width.
  for (int dims : {2, 3}) {
    for (int64_t width : {32, 8, 24, 12}) {
      const int64_t block = ResNet(ResNetOptions(1).width(width), dims)->channel_block();
      EXPECT_TRUE(block == 0 || width % block == 0) << width;
      EXPECT_EQ(block, native_channel_block(dims, width)) << width;
    }
  }
  EXPECT_EQ(native_channel_block(2, 12), 0);  // neither 8 nor 16 divides 12
  if (native_channel_block(2, 16) == 16) {
    EXPECT_EQ(native_channel_block(2, 32), 16);
    EXPECT_EQ(native_channel_block(2, 24), 8);
  }
  EXPECT_THROW(ResNet(ResNetOptions(1).width(8).channel_block(16), 2), c10::Error);
}

}  // namespace
}  // namespace vbiopsy::encoders
