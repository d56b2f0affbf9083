#pragma once
// Which encoders read images, and in which crop layout: what each declares in its registration
// (encoder.h, EncoderTraits). No LibTorch in this header.
#include <string>

#include "modalities/crop_layout.h"

namespace vbiopsy::encoders {

// Whether `encoder` is a registered image encoder (false for an unknown name).
bool is_image_encoder(const std::string& encoder);
// The layout in which `encoder` reads the images of `modality`; throws core::Error naming what it
// reads when it cannot read them.
modalities::CropLayout image_layout(const std::string& encoder, const std::string& modality);

}  // namespace vbiopsy::encoders
