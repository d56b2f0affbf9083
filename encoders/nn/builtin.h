#pragma once
// The built-in encoders. Each: kName, kHelp (the layout of its input), option_specs(), a
// constructor from its resolved options and one case's input shape, and for image encoders
// image_layouts() (encoder.h).
#include <string>
#include <vector>

#include "encoders/nn/encoder.h"
#include "encoders/nn/layers.h"

namespace vbiopsy::encoders {

// [N, F] radiomics feature vector (standardised upstream) -> MLP.
class RadiomicsMlpEncoder : public Encoder {
 public:
  static constexpr const char* kName = "radiomics_mlp";
  static constexpr const char* kHelp = "radiomics feature vector [N,F] of any modality -> MLP embedding";
  static std::vector<core::OptionSpec> option_specs();
  RadiomicsMlpEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& sample_shape);
  torch::Tensor forward(const EncoderInput& input) override;
  int64_t embedding_dim() const override { return embedding_; }

 private:
  Mlp mlp_{nullptr};
  int64_t embedding_;
};

// [N, H, F] per-habitat features with item_mask [N, H] -> per-habitat MLP -> attention pooling.
class HabitatEncoder : public Encoder {
 public:
  static constexpr const char* kName = "habitat";
  static constexpr const char* kHelp =
      "per-habitat MRI features [N,H,F] + habitat mask [N,H] (variable count) -> attention pooling -> embedding";
  static std::vector<core::OptionSpec> option_specs();
  HabitatEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& sample_shape);
  torch::Tensor forward(const EncoderInput& input) override;
  int64_t embedding_dim() const override { return embedding_; }
  // Attention over habitats of the last forward pass [N, H] (the evidence a clinician can read).
  const torch::Tensor& last_weights() const { return last_weights_; }

 private:
  Mlp item_{nullptr};
  AttentionPool pool_{nullptr};
  torch::nn::Linear out_{nullptr};
  int64_t embedding_;
  torch::Tensor last_weights_;
};

// [N, V, C, H, W] views/frames with item_mask [N, V] -> shared ResNet-GN -> pooled over views.
class Cnn2dEncoder : public Encoder {
 public:
  static constexpr const char* kName = "cnn2d";
  static constexpr const char* kHelp =
      "ROI-centred 2D crops [N,V,C,H,W] (MG views, US frames) + view mask [N,V] -> ResNet-GroupNorm, pooled over views";
  static std::vector<core::OptionSpec> option_specs();
  static std::vector<modalities::CropLayout> image_layouts() {
    return {modalities::CropLayout::kViews, modalities::CropLayout::kFrames, modalities::CropLayout::kSlices};
  }
  Cnn2dEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& sample_shape);
  torch::Tensor forward(const EncoderInput& input) override;
  int64_t embedding_dim() const override { return embedding_; }
  int spatial_dims() const override { return 2; }

 private:
  ResNet trunk_{nullptr};
  AttentionPool pool_{nullptr};
  torch::nn::Linear out_{nullptr};
  bool attention_pooling_;
  int64_t embedding_;
  std::vector<int64_t> input_shape_;  // of the last forward
};

// [N, C, D, H, W] MRI channels on one grid (DCE phases, ADC, T2) -> 3D ResNet-GN.
class Cnn3dEncoder : public Encoder {
 public:
  static constexpr const char* kName = "cnn3d";
  static constexpr const char* kHelp =
      "tumour-centred MRI crop [N,C,D,H,W] (DCE phases + ADC + T2 as channels) -> 3D ResNet-GroupNorm";
  static std::vector<core::OptionSpec> option_specs();
  static std::vector<modalities::CropLayout> image_layouts() { return {modalities::CropLayout::kVolume}; }
  Cnn3dEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& sample_shape);
  torch::Tensor forward(const EncoderInput& input) override;
  int64_t embedding_dim() const override { return embedding_; }
  int spatial_dims() const override { return 3; }

 private:
  ResNet trunk_{nullptr};
  torch::nn::Linear out_{nullptr};
  int64_t embedding_;
  std::vector<int64_t> input_shape_;  // of the last forward
};

// [N, S, C, H, W] slices through the tumour with item_mask [N, S] -> ViT per slice -> mean.
class Vit2dEncoder : public Encoder {
 public:
  static constexpr const char* kName = "vit2d";
  static constexpr const char* kHelp =
      "MRI slices through the tumour [N,S,C,H,W] + slice mask [N,S] -> small vision transformer, mean over slices";
  static std::vector<core::OptionSpec> option_specs();
  static std::vector<modalities::CropLayout> image_layouts() { return {modalities::CropLayout::kSlices}; }
  Vit2dEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& sample_shape);
  torch::Tensor forward(const EncoderInput& input) override;
  int64_t embedding_dim() const override { return embedding_; }
  int spatial_dims() const override { return 2; }
  void keep_saliency(bool keep) override;
  torch::Tensor saliency() const override;
  std::string saliency_method() const override;

 private:
  torch::nn::Conv2d patches_{nullptr};
  torch::Tensor class_token_, positions_;
  std::vector<TransformerLayer> layers_;
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear out_{nullptr};
  int64_t embedding_;
  std::vector<int64_t> input_shape_;  // of the last forward
  bool keep_attention_ = false;
  std::vector<torch::Tensor> attention_;  // per layer [N*S, tokens, tokens]
};

// [N, F] clinical values with NaN = missing -> learned per-variable fill + missing indicators -> MLP.
class ClinicalEncoder : public Encoder {
 public:
  static constexpr const char* kName = "clinical";
  static constexpr const char* kHelp =
      "clinical variables [N,F] (ER/PR percentage and status, Ki-67, age, size, grade, nodes, multifocality, menopause "
      "and histology one-hot, any table column [columns] clinical names; NaN = missing) -> learned missing embeddings "
      "+ indicators -> MLP";
  static std::vector<core::OptionSpec> option_specs();
  ClinicalEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& sample_shape);
  torch::Tensor forward(const EncoderInput& input) override;
  int64_t embedding_dim() const override { return embedding_; }

 private:
  torch::Tensor missing_value_;
  Mlp mlp_{nullptr};
  int64_t embedding_;
};

// [N, F] embeddings computed elsewhere (read with read_precomputed_embeddings) -> identity or a
// linear projection.
class PrecomputedEncoder : public Encoder {
 public:
  static constexpr const char* kName = "precomputed";
  static constexpr const char* kHelp =
      "embeddings [N,F] read from a CSV (e.g. a Python foundation model's features) -> identity or linear projection";
  static std::vector<core::OptionSpec> option_specs();
  PrecomputedEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& sample_shape);
  torch::Tensor forward(const EncoderInput& input) override;
  int64_t embedding_dim() const override { return embedding_; }

 private:
  torch::nn::Linear project_{nullptr};
  int64_t embedding_;
};

}  // namespace vbiopsy::encoders
