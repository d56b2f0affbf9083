#pragma once
// What a prediction was made from, for a person to check: one picture per image the case has
// (MRI: the first post-contrast DCE phase; each mammography view; up to three ultrasound frames)
// around its region with the region outlined (modalities/thumbnail.h), and for a modality read by
// an image encoder the same picture with where the encoder looked (gradient x input, or the ViT's attention rollout)
// put back on the image grid and blended in. Written to DIR/images/.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "datasets/case.h"
#include "experiments/image_inputs.h"

namespace vbiopsy::experiments {

struct CaseThumbnail {
  std::string modality, caption;
  std::string method;          // the saliency drawn in, or empty
  std::filesystem::path file;  // relative to the output folder
  std::vector<uint8_t> png;
};

// A modality whose images cannot be read is left out with a warning naming why.
std::vector<CaseThumbnail> write_case_thumbnails(const datasets::Case& c, const std::vector<ImageSaliency>& saliency,
                                                 const std::filesystem::path& out, std::vector<std::string>& warnings);

}  // namespace vbiopsy::experiments
