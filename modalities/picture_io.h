#pragma once
// Pictures (PNG, JPEG, BMP, TIFF, PGM) through OpenCV: the formats of ultrasound exports and of
// masks drawn in labelling tools. Pictures carry no pixel size: they are read with 1 mm pixels.
// Reached through other_formats.h by the readers of every format.
#include <filesystem>

#include "core/image.h"

namespace vbiopsy::modalities {

// One-slice grey image; colour pictures are converted to grey.
core::Image read_picture(const std::filesystem::path& path);
// A mask picture: grey values are labels; in colour (RGB, RGBA, as labelling tools save them), grey
// stored in three equal channels keeps its values, otherwise any non-zero colour channel marks the
// region (1), and when every colour channel is zero an alpha channel that varies marks it instead.
core::Image read_picture_mask(const std::filesystem::path& path);
// Written atomically; only one-slice images are pictures. 16-bit grey, values rounded and clamped
// to 0-65535.
void write_picture(const core::Image& image, const std::filesystem::path& path);
void write_picture_mask(const core::Mask& mask, const std::filesystem::path& path);

}  // namespace vbiopsy::modalities
