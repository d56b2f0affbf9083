#include "encoders/nn/builtin.h"
#include "encoders/nn/encoder.h"

namespace vbiopsy::encoders {

void register_builtin_encoders(EncoderRegistry& registry) {
  add_encoder<RadiomicsMlpEncoder>(registry);
  add_encoder<HabitatEncoder>(registry);
  add_encoder<Cnn2dEncoder>(registry);
  add_encoder<Cnn3dEncoder>(registry);
  add_encoder<Vit2dEncoder>(registry);
  add_encoder<ClinicalEncoder>(registry);
  add_encoder<PrecomputedEncoder>(registry);
}

const EncoderRegistry& builtin_encoders() {
  static const EncoderRegistry registry("encoder", register_builtin_encoders);
  return registry;
}

std::shared_ptr<Encoder> make_encoder(const std::string& name, const std::map<std::string, std::string>& options,
                                      const std::vector<int64_t>& sample_shape) {
  return builtin_encoders().create(name, options, sample_shape);
}

bool is_image_encoder(const std::string& encoder) {
  const auto* entry = builtin_encoders().find(encoder);
  return entry && !entry->traits.images.empty();
}

modalities::CropLayout image_layout(const std::string& encoder, const std::string& modality) {
  const auto& entry = builtin_encoders().get(encoder);
  std::vector<std::string> reads;
  for (const auto layout : entry.traits.images) {
    if (modalities::crop_layout_modality(layout) == modality) return layout;
    reads.push_back(
        core::concat(modalities::crop_layout_modality(layout), " (", modalities::crop_layout_name(layout), ")"));
  }
  core::fail("encoder '", encoder, "' cannot read the images of modality '", modality, "'; it reads ",
             reads.empty() ? std::string("feature vectors only") : "the images of " + core::join(reads, ", "));
}

void require_rank(const char* encoder, const std::vector<int64_t>& sample_shape, size_t rank, const char* layout) {
  bool positive = true;
  for (auto size : sample_shape) positive = positive && size > 0;
  if (sample_shape.size() != rank || !positive)
    core::fail("encoder '", encoder, "' expects one case's input as ", layout, ", got shape [",
               core::join(
                   [&] {
                     std::vector<std::string> parts;
                     for (auto size : sample_shape) parts.push_back(std::to_string(size));
                     return parts;
                   }(),
                   ","),
               "]");
}

}  // namespace vbiopsy::encoders
