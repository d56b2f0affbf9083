#pragma once
// Building blocks shared by the encoders and the fusion methods.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>
#include <torch/arg.h>

#include <tuple>

namespace vbiopsy::encoders {

// Linear -> LayerNorm -> GELU -> Dropout, `layers` times, then a Linear to `out`.
struct MlpOptions {
  MlpOptions(int64_t in, int64_t out) : in_(in), out_(out) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(int64_t, hidden) = 64;
  TORCH_ARG(int64_t, layers) = 1;
  TORCH_ARG(double, dropout) = 0.1;
};

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const MlpOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Sequential body_{nullptr};
};
TORCH_MODULE(Mlp);

// Attention pooling over a set (Ilse et al. 2018): weights = softmax(w^T tanh(V x)) over the
// present items. Returns pooled [N, D] and weights [N, K]; a case with no item present gets zeros.
class AttentionPoolImpl : public torch::nn::Module {
 public:
  AttentionPoolImpl(int64_t dim, int64_t hidden);
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& items, const torch::Tensor& mask);

 private:
  torch::nn::Linear project_{nullptr}, score_{nullptr};
};
TORCH_MODULE(AttentionPool);

// Mean of x [N, K, D] over the items where mask [N, K] is true (zeros where none is).
torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& mask);

// Multi-head self-attention for the short token sequences of fusion (one token per modality) and
// small ViTs. For up to 32 tokens the scores and the weighted sum are broadcast products: LibTorch
// 1.13's CPU bmm on many tiny matrices loops over the batch with one select per matrix, which made
// attention fusion several times slower than its arithmetic. Returns output [L, N, E] and the
// attention weights averaged over heads [N, L, L]. key_padding_mask: [N, L] bool, true = ignore.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t dim, int64_t heads, double dropout);
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask);

 private:
  int64_t heads_;
  double dropout_;
  torch::nn::Linear in_{nullptr}, out_{nullptr};
};
TORCH_MODULE(SelfAttention);

// Pre-norm transformer encoder layer that also returns its attention weights [N, L, L]
// (averaged over heads); LibTorch 1.13's TransformerEncoderLayer does not expose them.
// x: [L, N, E]; key_padding_mask: [N, L] bool, true = ignore.
struct TransformerLayerOptions {
  TransformerLayerOptions(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(int64_t, feedforward) = 128;
  TORCH_ARG(double, dropout) = 0.1;
};

class TransformerLayerImpl : public torch::nn::Module {
 public:
  explicit TransformerLayerImpl(const TransformerLayerOptions& options);
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask);

 private:
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  SelfAttention attention_{nullptr};
  torch::nn::Sequential feedforward_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(TransformerLayer);

// A ResNet trunk with GroupNorm (batch-size independent, so small clinical batches give the same
// result whatever the batch composition): stem conv (stride 2) then `stages` stages of `blocks` basic blocks, channels
// doubling and resolution halving per stage, then global average pooling -> [N, features()].
struct ResNetOptions {
  explicit ResNetOptions(int64_t in_channels) : in_channels_(in_channels) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, width) = 16;
  TORCH_ARG(int64_t, stages) = 3;
  TORCH_ARG(int64_t, blocks) = 1;
  TORCH_ARG(int64_t, groups) = 8;
  // Channels per block of oneDNN's blocked layout for the activations (blocked_conv.h): -1 chooses
  // the native block for the CPU and width (native_channel_block), 8 or 16 ask for one, 0 runs
  // LibTorch's own convolutions and GroupNorm on NCHW tensors.
  TORCH_ARG(int64_t, channel_block) = -1;
};

class ResNetImpl : public torch::nn::Module {
 public:
  ResNetImpl(const ResNetOptions& options, int dims);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t features() const { return features_; }
  int64_t channel_block() const { return block_; }  // 0: NCHW

 private:
  torch::nn::Sequential body_{nullptr};
  int64_t features_ = 0;
  int dims_ = 2;
  int64_t block_ = 0;
};
TORCH_MODULE(ResNet);

}  // namespace vbiopsy::encoders

namespace vbiopsy::encoders {
// input's item_mask, or all-true [n, k] when it is undefined; checks its shape.
torch::Tensor items_present(const torch::Tensor& item_mask, int64_t n, int64_t k);
}  // namespace vbiopsy::encoders
