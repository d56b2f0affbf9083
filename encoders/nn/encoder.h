#pragma once
// The encoder interface: one modality's input for a batch of cases -> one embedding per case.
// Encoders are chosen by name from a config through the registry (builtin_encoders()); adding one
// is one class plus one line in register_builtin_encoders.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/registry.h"
#include "encoders/nn/image_layouts.h"
#include "modalities/crop_layout.h"

namespace vbiopsy::encoders {

// values: the encoder's layout with the batch first (see each encoder's help).
// item_mask: [N, K] bool for set-valued inputs (habitats, views, frames, slices): true = present.
// Undefined when every item is present or the input is not a set.
struct EncoderInput {
  torch::Tensor values;
  torch::Tensor item_mask;
};

class Encoder : public torch::nn::Module {
 public:
  // Returns [N, embedding_dim()].
  virtual torch::Tensor forward(const EncoderInput& input) = 0;
  virtual int64_t embedding_dim() const = 0;
  // 2 or 3 for image encoders (the trainer augments their inputs), 0 for vectors.
  virtual int spatial_dims() const { return 0; }

  // An image encoder's own explanation, when it has one (the ViT: attention rollout, Abnar &
  // Zuidema 2020); the others are explained by gradient x input (fusion/saliency.h). While
  // keep_saliency(true), forward keeps what saliency() needs; saliency() then gives per case and
  // item (view, frame, slice) a map over the input's spatial grid scaled to a maximum of 1,
  // [N, K, H, W]. Undefined for encoders without one.
  virtual void keep_saliency(bool) {}
  virtual torch::Tensor saliency() const { return {}; }
  // "attention rollout"; empty when saliency() is undefined.
  virtual std::string saliency_method() const { return ""; }
};

// Scales each map of [N, K, spatial...] to a maximum of 1 (an all-zero map stays zero).
torch::Tensor unit_maximum(const torch::Tensor& maps);

// What an encoder declares in its registration: the crop layouts it reads (each belongs to one
// modality, modalities/crop_layout.h). Empty: it reads feature vectors, of any modality.
struct EncoderTraits {
  std::vector<modalities::CropLayout> images;
};

// sample_shape: the shape of one case's values without the batch dimension (e.g. {V, C, H, W}).
using EncoderFactory =
    std::function<std::shared_ptr<Encoder>(const core::ResolvedOptions&, const std::vector<int64_t>& sample_shape)>;
using EncoderRegistry = core::Registry<EncoderFactory, EncoderTraits>;

void register_builtin_encoders(EncoderRegistry& registry);
const EncoderRegistry& builtin_encoders();

std::shared_ptr<Encoder> make_encoder(const std::string& name, const std::map<std::string, std::string>& options,
                                      const std::vector<int64_t>& sample_shape);

// The registration line: an encoder class provides kName, kHelp, option_specs() and a constructor
// (const core::ResolvedOptions&, const std::vector<int64_t>& sample_shape); an image encoder also
// image_layouts(), the modalities it reads and how.
template <typename EncoderClass>
void add_encoder(EncoderRegistry& registry) {
  EncoderTraits traits;
  if constexpr (requires { EncoderClass::image_layouts(); }) traits.images = EncoderClass::image_layouts();
  registry.add({EncoderClass::kName, EncoderClass::kHelp, EncoderClass::option_specs(),
                [](const core::ResolvedOptions& options, const std::vector<int64_t>& shape) {
                  return std::static_pointer_cast<Encoder>(std::make_shared<EncoderClass>(options, shape));
                },
                std::move(traits)});
}

// Throws a core::Error naming the encoder when sample_shape does not have `rank` dimensions.
void require_rank(const char* encoder, const std::vector<int64_t>& sample_shape, size_t rank, const char* layout);

}  // namespace vbiopsy::encoders
