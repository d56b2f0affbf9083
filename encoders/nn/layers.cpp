#include "encoders/nn/layers.h"

#include "encoders/nn/blocked_conv.h"
#include "encoders/nn/group_norm.h"

#include <torch/nn/functional.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/pooling.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

namespace vbiopsy::encoders {

namespace nnf = torch::nn::functional;

MlpImpl::MlpImpl(const MlpOptions& options) {
  body_ = torch::nn::Sequential();
  int64_t width = options.in();
  for (int64_t i = 0; i < options.layers(); ++i) {
    body_->push_back(torch::nn::Linear(width, options.hidden()));
    body_->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.hidden()})));
    body_->push_back(torch::nn::GELU());
    body_->push_back(torch::nn::Dropout(options.dropout()));
    width = options.hidden();
  }
  body_->push_back(torch::nn::Linear(width, options.out()));
  register_module("body", body_);
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) { return body_->forward(x); }

AttentionPoolImpl::AttentionPoolImpl(int64_t dim, int64_t hidden) {
  project_ = register_module("project", torch::nn::Linear(dim, hidden));
  score_ = register_module("score", torch::nn::Linear(hidden, 1));
}

std::tuple<torch::Tensor, torch::Tensor> AttentionPoolImpl::forward(const torch::Tensor& items,
                                                                    const torch::Tensor& mask) {
  TORCH_CHECK(items.dim() == 3, "attention pooling expects items [N,K,D], got ", items.sizes());
  TORCH_CHECK(mask.sizes() == items.sizes().slice(0, 2),
              "attention pooling expects mask [N,K] = ", items.sizes().slice(0, 2), ", got ", mask.sizes());
  auto scores = score_->forward(torch::tanh(project_->forward(items))).squeeze(-1);  // [N, K]
  scores = scores.masked_fill(mask.logical_not(), -1e9);
  // A case with no item present must not get weights from padding: zero them explicitly.
  auto weights = torch::softmax(scores, 1) * mask.to(scores.dtype());
  auto pooled = (weights.unsqueeze(-1) * items).sum(1);
  return {pooled, weights};
}

torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& mask) {
  TORCH_CHECK(x.dim() == 3 && mask.dim() == 2 && x.size(0) == mask.size(0) && x.size(1) == mask.size(1),
              "masked_mean expects x [N,K,D] and mask [N,K], got ", x.sizes(), " and ", mask.sizes());
  const auto weights = mask.to(x.dtype()).unsqueeze(-1);
  return (x * weights).sum(1) / weights.sum(1).clamp_min(1.0);
}

SelfAttentionImpl::SelfAttentionImpl(int64_t dim, int64_t heads, double dropout) : heads_(heads), dropout_(dropout) {
  TORCH_CHECK(heads > 0 && dim % heads == 0, "attention width ", dim, " must be a multiple of the heads ", heads);
  in_ = register_module("in", torch::nn::Linear(dim, 3 * dim));
  out_ = register_module("out", torch::nn::Linear(dim, dim));
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_->weight);
  in_->bias.zero_();
  out_->bias.zero_();
}

std::tuple<torch::Tensor, torch::Tensor> SelfAttentionImpl::forward(const torch::Tensor& x,
                                                                    const torch::Tensor& key_padding_mask) {
  TORCH_CHECK(x.dim() == 3, "self-attention expects [L,N,E], got ", x.sizes());
  const int64_t length = x.size(0), n = x.size(1), dim = x.size(2), head_dim = dim / heads_;
  // [L, N, 3E] (E = heads x head_dim) -> three [N*heads, L, head_dim]
  const auto qkv = in_->forward(x)
                       .view({length, n, 3, heads_, head_dim})
                       .permute({2, 1, 3, 0, 4})
                       .reshape({3, n * heads_, length, head_dim});
  const auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(head_dim))), k = qkv[1], v = qkv[2];
  const bool short_sequence = length <= 32;
  auto scores = short_sequence ? (q.unsqueeze(2) * k.unsqueeze(1)).sum(-1) : torch::matmul(q, k.transpose(1, 2));
  if (key_padding_mask.defined()) {
    TORCH_CHECK(key_padding_mask.sizes() == torch::IntArrayRef({n, length}), "key padding mask must be [N,L] = [", n,
                ",", length, "], got ", key_padding_mask.sizes());
    const auto mask = key_padding_mask.to(torch::kBool)
                          .view({n, 1, 1, length})
                          .expand({n, heads_, 1, length})
                          .reshape({n * heads_, 1, length});
    scores = scores.masked_fill(mask, -std::numeric_limits<float>::infinity());
  }
  const auto weights = torch::softmax(scores, -1);  // [N*heads, L, L]
  const auto dropped = torch::dropout(weights, dropout_, is_training());
  const auto context = short_sequence ? (dropped.unsqueeze(-1) * v.unsqueeze(1)).sum(2) : torch::matmul(dropped, v);
  const auto merged = context.view({n, heads_, length, head_dim}).permute({2, 0, 1, 3}).reshape({length, n, dim});
  return {out_->forward(merged), weights.view({n, heads_, length, length}).mean(1)};
}

TransformerLayerImpl::TransformerLayerImpl(const TransformerLayerOptions& options) {
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.dim()})));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.dim()})));
  attention_ = register_module("attention", SelfAttention(options.dim(), options.heads(), options.dropout()));
  feedforward_ =
      register_module("feedforward", torch::nn::Sequential(torch::nn::Linear(options.dim(), options.feedforward()),
                                                           torch::nn::GELU(), torch::nn::Dropout(options.dropout()),
                                                           torch::nn::Linear(options.feedforward(), options.dim())));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

std::tuple<torch::Tensor, torch::Tensor> TransformerLayerImpl::forward(const torch::Tensor& x,
                                                                       const torch::Tensor& key_padding_mask) {
  TORCH_CHECK(x.dim() == 3, "transformer layer expects [L,N,E], got ", x.sizes());
  const auto normed = norm1_->forward(x);
  auto [attended, weights] = attention_->forward(normed, key_padding_mask);
  auto y = x + dropout_->forward(attended);
  y = y + dropout_->forward(feedforward_->forward(norm2_->forward(y)));
  return {y, weights};
}

namespace {

// A convolution without bias (Conv2d or Conv3d, registered under its own name so its weight keeps
// the name it has always had in bundles), run on blocked or plain activations.
class TrunkConv {
 public:
  TrunkConv(torch::nn::Module& owner, const std::string& name, int dims, int64_t in, int64_t out, int64_t kernel,
            int64_t stride, int64_t block)
      : stride_(stride), padding_(kernel / 2), block_(block) {
    if (dims == 2) {
      auto conv =
          torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding_).bias(false));
      weight_ = conv->weight;
      module_ = torch::nn::AnyModule(owner.register_module(name, conv));
    } else {
      auto conv =
          torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, kernel).stride(stride).padding(padding_).bias(false));
      weight_ = conv->weight;
      module_ = torch::nn::AnyModule(owner.register_module(name, conv));
    }
  }
  // x_blocked: whether x is already blocked (false for the trunk's input).
  torch::Tensor forward(const torch::Tensor& x, bool x_blocked = true) {
    if (block_ == 0) return module_.forward(x);
    return blocked_convolution(x, x_blocked, weight_, stride_, padding_, block_);
  }

 private:
  torch::nn::AnyModule module_;
  torch::Tensor weight_;
  int64_t stride_, padding_, block_;  // block_ 0: NCHW
};

// conv3 -> GN -> ReLU -> conv3 -> GN, plus a 1x1 projection when the shape changes; then the sum's
// ReLU (fused into the second GroupNorm).
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int dims, int64_t in, int64_t out, int64_t stride, int64_t groups, int64_t block)
      : conv1_(*this, "conv1", dims, in, out, 3, stride, block), conv2_(*this, "conv2", dims, out, out, 3, 1, block) {
    const bool blocked = block != 0;
    norm1_ = register_module("norm1", GroupNormAct(std::min(groups, out), out, true, blocked));
    norm2_ = register_module("norm2", GroupNormAct(std::min(groups, out), out, true, blocked));
    if (stride != 1 || in != out) {
      shortcut_.emplace(*this, "shortcut", dims, in, out, 1, stride, block);
      shortcut_norm_ = register_module("shortcut_norm", GroupNormAct(std::min(groups, out), out, false, blocked));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const auto y = norm1_->forward(conv1_.forward(x));
    const auto identity = shortcut_ ? shortcut_norm_->forward(shortcut_->forward(x)) : x;
    return norm2_->forward(conv2_.forward(y), identity);
  }

 private:
  TrunkConv conv1_, conv2_;
  std::optional<TrunkConv> shortcut_;
  GroupNormAct norm1_{nullptr}, norm2_{nullptr}, shortcut_norm_{nullptr};
};
TORCH_MODULE(BasicBlock);

// The stem takes the trunk's plain input and, in the blocked layout, returns blocked activations.
class StemImpl : public torch::nn::Module {
 public:
  StemImpl(int dims, int64_t in, int64_t out, int64_t groups, int64_t block)
      : conv_(*this, "conv", dims, in, out, 3, 2, block) {
    norm_ = register_module("norm", GroupNormAct(std::min(groups, out), out, true, block != 0));
  }
  torch::Tensor forward(const torch::Tensor& x) { return norm_->forward(conv_.forward(x, false)); }

 private:
  TrunkConv conv_;
  GroupNormAct norm_{nullptr};
};
TORCH_MODULE(Stem);

}  // namespace

ResNetImpl::ResNetImpl(const ResNetOptions& options, int dims) : dims_(dims) {
  TORCH_CHECK(dims == 2 || dims == 3, "ResNet trunk is 2D or 3D, got ", dims);
  // Every stage's channels are the width times a power of two, so the width's block fits them all.
  block_ = options.channel_block() < 0 ? native_channel_block(dims, options.width()) : options.channel_block();
  TORCH_CHECK(block_ == 0 || (is_channel_block(block_) && options.width() % block_ == 0),
              "ResNet trunk: channel block ", block_, " for width ", options.width(),
              ", expected 0, or 8 or 16 dividing the width");
  body_ = torch::nn::Sequential();
  int64_t channels = options.width();
  body_->push_back(Stem(dims, options.in_channels(), channels, options.groups(), block_));
  for (int64_t stage = 0; stage < options.stages(); ++stage) {
    const int64_t out = stage == 0 ? channels : channels * 2;
    for (int64_t block = 0; block < options.blocks(); ++block)
      body_->push_back(BasicBlock(dims, block == 0 ? channels : out, out, block == 0 && stage > 0 ? 2 : 1,
                                  options.groups(), block_));
    channels = out;
  }
  features_ = channels;
  register_module("body", body_);
}

torch::Tensor ResNetImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == dims_ + 2, "ResNet trunk (", dims_, "D) expects [N,C,", dims_ == 2 ? "H,W" : "D,H,W",
              "], got ", x.sizes());
  const auto features = body_->forward(x);
  if (block_ == 0) return features.flatten(2).mean(2);
  // [N, C/B, spatial..., B] -> mean over the spatial positions -> [N, C/B, B] = [N, C]
  std::vector<int64_t> spatial(dims_);
  std::iota(spatial.begin(), spatial.end(), 2);
  return features.mean(spatial).reshape({x.size(0), features_});
}

}  // namespace vbiopsy::encoders

namespace vbiopsy::encoders {
torch::Tensor unit_maximum(const torch::Tensor& maps) {
  const auto flat = maps.flatten(2);
  const auto top = std::get<0>(flat.max(2, true)).clamp_min(1e-12);
  return (flat / top).view(maps.sizes());
}

torch::Tensor items_present(const torch::Tensor& item_mask, int64_t n, int64_t k) {
  if (!item_mask.defined()) return torch::ones({n, k}, torch::kBool);
  TORCH_CHECK(item_mask.dim() == 2 && item_mask.size(0) == n && item_mask.size(1) == k, "item mask must be [N,K] = [",
              n, ",", k, "], got ", item_mask.sizes());
  return item_mask.to(torch::kBool);
}
}  // namespace vbiopsy::encoders
