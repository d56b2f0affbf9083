#pragma once
// Image inputs of an experiment: a modality whose encoder reads images (cnn2d, cnn3d, vit2d) is fed
// region-centred crops of the case's own images (modalities/roi_crops.h) instead of radiomics
// columns. How a modality is cropped is the layout its encoder declares in its registration
// (encoders::image_layout): mammography -> views [2, 1, S, S], ultrasound -> frames [F, 1, S, S],
// MRI -> a channel volume [C, D, S, S] or D slices [D, C, S, S]. No LibTorch here. The crop settings come from the
// config's [images.<modality>] section and are recorded in bundles, so `predict` crops a new case the same way. Crops
// are normalised per case: nothing in them is learned from other cases.
#include <nlohmann/json_fwd.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/registry.h"
#include "datasets/manifest.h"
#include "modalities/roi_crops.h"

namespace vbiopsy::experiments {

// "2x1x64x64": a crop's shape in messages and logs.
std::string shape_text(const std::vector<int64_t>& shape);

// Whether the case has images of the modality (mri, mg, us).
bool has_images(const datasets::Case& c, const std::string& modality);

// The [images.<modality>] options with their defaults (shown by `vbiopsy list`).
std::vector<core::OptionSpec> crop_option_specs();

struct ImageInputSpec {
  std::string modality, encoder;
  modalities::CropLayout layout = modalities::CropLayout::kViews;
  modalities::CropSettings crop;

  // The crops `encoder` reads of `modality` in `layout` (encoders::image_layout(encoder, modality)),
  // with the [images.<modality>] options; throws core::Error naming a bad option or value.
  static ImageInputSpec from(const std::string& modality, const std::string& encoder, modalities::CropLayout layout,
                             const std::map<std::string, std::string>& options);
  // One case's crop shape and its item count (views, frames; 0 when not a set) from the settings.
  std::pair<std::vector<int64_t>, int64_t> shape_from_settings() const;
  nlohmann::json to_json() const;
  // Refuses a layout that is not the modality's (a bundle is edited text).
  static ImageInputSpec from_json(const nlohmann::json& json);
  bool operator==(const ImageInputSpec& other) const { return to_json_text() == other.to_json_text(); }

 private:
  std::string to_json_text() const;
};

// Where an image encoder looked for one case (fusion/saliency.h), over its crops: `values`
// row-major over `shape` = [items, size, size] for views and frames, [1 or depth, ...] for MRI.
struct ImageSaliency {
  ImageInputSpec spec;
  std::string method;  // "gradient x input" or "attention rollout"
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct ImageBlock {
  ImageInputSpec spec;
  std::vector<int64_t> sample_shape;  // one case's crop
  std::vector<float> values;          // [cases x prod(sample_shape)], zeros for absent cases
  int64_t item_count = 0;             // views / frames per case when the input is a set, else 0
  std::vector<uint8_t> items;         // [cases x item_count]
  std::vector<bool> present;          // per case

  const std::string& modality() const { return spec.modality; }
  size_t sample_size() const;
};

// The crops of the given cases (by id, in that order), in parallel, the same whatever the thread
// count. A case without the modality is absent; a case whose images cannot be cropped (e.g. a
// channel it lacks) is absent too and named in `failures` with the reason.
ImageBlock image_block_of(const datasets::Cohort& cohort, const std::vector<std::string>& case_ids,
                          const ImageInputSpec& spec, unsigned threads,
                          std::vector<std::pair<std::string, std::string>>* failures = nullptr);

}  // namespace vbiopsy::experiments
