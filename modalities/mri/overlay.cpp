#include "modalities/mri/overlay.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "core/error.h"
#include "core/files.h"
#include "modalities/picture_codecs.h"

namespace vbiopsy::modalities::mri {

void write_habitat_overlay(const core::Image& image, const core::Mask& labels, int habitats,
                           const std::filesystem::path& png, int max_slices) {
  const std::string mismatch = core::describe_grid_mismatch(image.geometry, labels.geometry);
  if (!mismatch.empty()) core::fail("habitat overlay: the label map is not on the image grid: ", mismatch);
  const auto& s = image.geometry.size;
  std::vector<std::pair<size_t, size_t>> counts;  // (labelled voxels, slice)
  for (size_t z = 0; z < s[2]; ++z) {
    size_t n = 0;
    for (size_t y = 0; y < s[1]; ++y)
      for (size_t x = 0; x < s[0]; ++x) n += labels.at(x, y, z) != 0;
    if (n) counts.emplace_back(n, z);
  }
  if (counts.empty()) core::fail("habitat overlay: the label map is empty");
  std::sort(counts.begin(), counts.end(),
            [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  counts.resize(std::min<size_t>(counts.size(), size_t(max_slices)));
  std::sort(counts.begin(), counts.end(), [](auto& a, auto& b) { return a.second < b.second; });
  float lo = image.voxels[0], hi = image.voxels[0];
  for (float v : image.voxels) lo = std::min(lo, v), hi = std::max(hi, v);
  const int scale = 4;  // small MRI slices are enlarged for viewing
  cv::Mat strip(int(s[1]) * scale, int(s[0] * counts.size()) * scale, CV_8UC3);
  cv::Mat palette(1, 256, CV_8UC1);
  for (int i = 0; i < 256; ++i) palette.at<uint8_t>(0, i) = uint8_t(i);
  cv::Mat colours;
  cv::applyColorMap(palette, colours, cv::COLORMAP_JET);
  for (size_t k = 0; k < counts.size(); ++k) {
    const size_t z = counts[k].second;
    for (size_t y = 0; y < s[1]; ++y)
      for (size_t x = 0; x < s[0]; ++x) {
        const uint8_t grey = uint8_t(hi > lo ? 255.0 * (image.at(x, y, z) - lo) / (hi - lo) : 0);
        cv::Vec3b pixel(grey, grey, grey);
        if (const uint8_t h = labels.at(x, y, z)) {
          const cv::Vec3b c = colours.at<cv::Vec3b>(0, habitats > 1 ? (h - 1) * 255 / (habitats - 1) : 128);
          for (int ch = 0; ch < 3; ++ch) pixel[ch] = uint8_t(0.4 * grey + 0.6 * c[ch]);
        }
        cv::rectangle(strip, cv::Rect(int(k * s[0] + x) * scale, int(y) * scale, scale, scale), cv::Scalar(pixel),
                      cv::FILLED);
      }
  }
  if (png.has_parent_path()) std::filesystem::create_directories(png.parent_path());
  const auto temporary = core::temporary_sibling(png);
  if (!codecs::imwrite(temporary.string(), strip)) core::fail(png.string(), ": OpenCV cannot write it");
  core::commit_temporary(temporary, png);
}

}  // namespace vbiopsy::modalities::mri
