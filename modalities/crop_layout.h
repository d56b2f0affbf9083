#pragma once
// The crop layouts of the image encoders' inputs (modalities/roi_crops.h makes the crops). No
// dependencies: the encoders declare in their registration which layouts they read.
#include <optional>
#include <string>

namespace vbiopsy::modalities {

// How a modality's images become one case's crop array. Which encoder reads which layout of which
// modality is declared in the encoder's registration (encoders/nn/encoder.h).
enum class CropLayout {
  kViews,   // mammography: [2, 1, size, size], CC then MLO
  kFrames,  // ultrasound: [frames, 1, size, size]
  kVolume,  // MRI channels on a tumour-centred cube: [C, depth, size, size]
  kSlices,  // MRI slices through the tumour: [depth, C, size, size]
};
const char* crop_layout_name(CropLayout layout);  // "views", "frames", "volume", "slices"
std::optional<CropLayout> crop_layout_named(const std::string& name);
// The modality whose images a layout crops (mg, us, mri).
const char* crop_layout_modality(CropLayout layout);

}  // namespace vbiopsy::modalities
