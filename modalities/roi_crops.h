#pragma once
// Region-centred crops: what an image encoder (cnn2d, cnn3d, vit2d) sees of one case. Each crop is a
// square (2D) or cube (3D) in millimetres centred on the region's bounding box, of side
// (1 + 2 * margin) times the region's largest extent, sampled onto a fixed grid with area averaging
// (no aliasing when a large region shrinks) and clamp-to-edge outside the image; the physical
// square keeps the region's shape whatever the pixel spacing of the site.
//
// Intensities are normalised per case, so nothing is learned from other cases (no leakage):
// mammography views and ultrasound frames by their own crop's mean and standard deviation; MRI
// DCE phases and subtractions by the pre-contrast crop's, so that enhancement stays visible, T2
// and ADC by their own; the mask channel stays 0/1.
//
// No LibTorch here: a crop is plain values in row-major order of its shape (batch excluded).
#include <cstdint>
#include <string>
#include <vector>

#include "modalities/case_loader.h"
#include "modalities/crop_layout.h"

namespace vbiopsy::modalities {

struct CropArray {
  std::vector<int64_t> shape;  // one case's input, e.g. {2, 1, 64, 64}
  std::vector<float> values;   // row-major over shape
  std::vector<uint8_t> items;  // per view / frame / slice: 1 = holds an image; empty when not a set
};

struct CropSettings {
  int size = 64;         // height and width of every crop (pixels)
  int depth = 16;        // MRI: slices of the volume crop, or the number of slices for the slice layout
  double margin = 0.25;  // on each side, as a fraction of the region's largest extent
  int frames = 2;        // ultrasound: the first `frames` frames (fewer are masked as absent items)
  // MRI channels: dce<n> (phase n, 0 = pre-contrast), sub<n> (dce<n> - dce0), t2, adc (the scanner's
  // map, else fitted from the DWI), mask.
  std::vector<std::string> channels{"dce0", "dce1", "dce2"};
};

// [2, 1, size, size]: CC then MLO; items say which views the case has. Throws core::Error when it has none.
CropArray mammography_crop(const std::vector<LoadedMammographyView>& views, const CropSettings& settings);
// [frames, 1, size, size] with items per frame.
CropArray ultrasound_crop(const LoadedUltrasound& ultrasound, const CropSettings& settings);
// The MRI channels on a tumour-centred cube: [C, depth, size, size], or with `slices`
// [depth, C, size, size] (depth slices through the tumour, for slice encoders). Throws core::Error
// naming a channel the case lacks.
CropArray mri_crop(const LoadedMri& mri, const CropSettings& settings, bool slices);

// A map over one crop (row-major [depth, size, size] for MRI, [size, size] for a view or frame)
// put back on the image grid of the region it was centred on: each image voxel inside the crop's
// box takes the value of the crop voxel it falls in; voxels outside the box are 0.
core::Image crop_map_on_image(const std::vector<float>& map, const core::Mask& region, const CropSettings& settings,
                              bool three_d);

// Checks the settings (sizes, margin, channel names); throws core::Error naming the bad value.
void check_crop_settings(const CropSettings& settings);

}  // namespace vbiopsy::modalities
