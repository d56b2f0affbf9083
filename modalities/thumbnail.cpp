#include "modalities/thumbnail.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "modalities/picture_codecs.h"

namespace vbiopsy::modalities {

Thumbnail region_thumbnail(const core::Image& image, const core::Mask& mask, int size, const core::Image* heat) {
  const std::string mismatch = core::describe_grid_mismatch(image.geometry, mask.geometry);
  if (!mismatch.empty()) core::fail("thumbnail: the mask is not on the image grid: ", mismatch);
  if (heat && !core::describe_grid_mismatch(image.geometry, heat->geometry).empty())
    core::fail("thumbnail: the heat map is not on the image grid");
  const auto& s = image.geometry.size;
  const auto& spacing = image.geometry.spacing;
  // The slice with the most region voxels.
  Thumbnail out;
  size_t most = 0;
  for (size_t z = 0; z < s[2]; ++z) {
    size_t n = 0;
    for (size_t y = 0; y < s[1]; ++y)
      for (size_t x = 0; x < s[0]; ++x) n += mask.at(x, y, z) != 0;
    if (n > most) most = n, out.slice = z;
  }
  if (most == 0) core::fail("thumbnail: the mask is empty");
  const size_t z = out.slice;
  size_t x0 = s[0], y0 = s[1], x1 = 0, y1 = 0;
  for (size_t y = 0; y < s[1]; ++y)
    for (size_t x = 0; x < s[0]; ++x)
      if (mask.at(x, y, z))
        x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
  // Widen by the region's own extent (at least 12 mm) on each side, within the image.
  auto widen = [&](size_t& lo, size_t& hi, size_t extent, double mm) {
    const auto margin = static_cast<size_t>(std::max<double>(static_cast<double>(hi - lo), std::ceil(12.0 / mm)));
    lo = lo > margin ? lo - margin : 0;
    hi = std::min(extent, hi + margin);
  };
  widen(x0, x1, s[0], spacing[0]);
  widen(y0, y1, s[1], spacing[1]);
  out.box = {x0, y0, x1, y1};
  const int w = static_cast<int>(x1 - x0), h = static_cast<int>(y1 - y0);

  std::vector<float> values;
  values.reserve(static_cast<size_t>(w) * static_cast<size_t>(h));
  for (size_t y = y0; y < y1; ++y)
    for (size_t x = x0; x < x1; ++x)
      if (std::isfinite(image.at(x, y, z))) values.push_back(image.at(x, y, z));
  float lo = 0, hi = 1;
  if (!values.empty()) {
    auto quantile = [&](double q) {
      auto at = values.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(values.size() - 1));
      std::nth_element(values.begin(), at, values.end());
      return *at;
    };
    lo = quantile(0.01);
    hi = quantile(0.99);
  }
  cv::Mat grey(h, w, CV_8UC1), region(h, w, CV_8UC1), heat_map(h, w, CV_8UC1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t ix = x0 + static_cast<size_t>(x), iy = y0 + static_cast<size_t>(y);
      const float v = image.at(ix, iy, z);
      const double t = hi > lo && std::isfinite(v) ? (v - lo) / (hi - lo) : 0.0;
      grey.at<uint8_t>(y, x) = static_cast<uint8_t>(std::lround(255 * std::clamp(t, 0.0, 1.0)));
      region.at<uint8_t>(y, x) = mask.at(ix, iy, z) ? 255 : 0;
      const float hv = heat ? heat->at(ix, iy, z) : 0.0f;
      heat_map.at<uint8_t>(y, x) =
          static_cast<uint8_t>(std::lround(255 * std::clamp(std::isfinite(hv) ? double(hv) : 0.0, 0.0, 1.0)));
    }
  // Square pixels in mm, the longer side `size` pixels.
  const double width_mm = w * spacing[0], height_mm = h * spacing[1];
  const double scale = size / std::max(width_mm, height_mm);
  const cv::Size shown(std::max(1, static_cast<int>(std::lround(width_mm * scale))),
                       std::max(1, static_cast<int>(std::lround(height_mm * scale))));
  cv::Mat grey_big, region_big, picture;
  cv::resize(grey, grey_big, shown, 0, 0, cv::INTER_LINEAR);
  cv::resize(region, region_big, shown, 0, 0, cv::INTER_NEAREST);
  cv::cvtColor(grey_big, picture, cv::COLOR_GRAY2BGR);
  if (heat) {
    cv::Mat heat_big, colours;
    cv::resize(heat_map, heat_big, shown, 0, 0, cv::INTER_LINEAR);
    cv::applyColorMap(heat_big, colours, cv::COLORMAP_JET);
    cv::addWeighted(picture, 0.55, colours, 0.45, 0, picture);
  }
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(region_big, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  cv::drawContours(picture, contours, -1, cv::Scalar(0, 0, 255), std::max(1, size / 128));
  std::vector<uchar> bytes;
  if (!codecs::imencode(".png", picture, bytes)) core::fail("thumbnail: OpenCV cannot encode the PNG");
  out.png.assign(bytes.begin(), bytes.end());
  return out;
}

}  // namespace vbiopsy::modalities
