#pragma once
// What a prediction was made from, for a person to check: one picture per image the case has
// (MRI: the first post-contrast DCE phase; each mammography view; up to three ultrasound frames)
// around its region with the region outlined (modalities/thumbnail.h), written to DIR/images/.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "datasets/case.h"

namespace vbiopsy::experiments {

struct CaseThumbnail {
  std::string modality, caption;
  std::filesystem::path file;  // relative to the output folder
  std::vector<uint8_t> png;
};

// A modality whose images cannot be read is left out with a warning naming why.
std::vector<CaseThumbnail> write_case_thumbnails(const datasets::Case& c, const std::filesystem::path& out, std::vector<std::string>& warnings);

}  // namespace vbiopsy::experiments
