#include "modalities/picture_io.h"

#include <opencv2/imgcodecs.hpp>  // the flags only; the codecs load on first use
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/files.h"
#include "modalities/header_checks.h"
#include "modalities/picture_codecs.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;
using core::fail;

namespace {

// A one-channel picture as a 2D image (1 mm pixels: pictures carry no spacing).
core::Image single_channel_image(const cv::Mat& mat) {
  cv::Mat as_float;
  mat.convertTo(as_float, CV_32F);
  core::Geometry g;
  g.size = {static_cast<size_t>(as_float.cols), static_cast<size_t>(as_float.rows), 1};
  core::Image image(g);
  for (int y = 0; y < as_float.rows; ++y)
    std::copy_n(as_float.ptr<float>(y), as_float.cols, image.voxels.begin() + static_cast<long>(y) * as_float.cols);
  return image;
}

cv::Mat decode(const fs::path& path, int flags) {
  if (!fs::is_regular_file(path)) fail(path.string(), ": no such image file");
  check_picture_header(path);
  cv::Mat mat = codecs::imread(path.string(), flags);
  if (mat.empty()) fail(path.string(), ": OpenCV cannot decode it (corrupt or not an image)");
  return mat;
}

core::Image colour_mask(const cv::Mat& mat) {
  std::vector<cv::Mat> channels;
  cv::split(mat, channels);
  const bool grey =
      cv::countNonZero(channels[0] != channels[1]) == 0 && cv::countNonZero(channels[1] != channels[2]) == 0;
  cv::Mat region;
  if (grey) {
    region = channels[0];
  } else {
    region = (channels[0] != 0) | (channels[1] != 0) | (channels[2] != 0);
    region = region / 255;
  }
  if (mat.channels() == 4 && cv::countNonZero(region) == 0) {
    double lo = 0, hi = 0;
    cv::minMaxLoc(channels[3], &lo, &hi);
    if (lo != hi) region = (channels[3] != 0) / 255;
  }
  return single_channel_image(region);
}

void write_raster(const cv::Mat& mat, const fs::path& path) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path temporary = core::temporary_sibling(path);
  bool ok = false;
  try {
    ok = codecs::imwrite(temporary.string(), mat);
  } catch (const cv::Exception& e) {
    fail(path.string(), ": OpenCV cannot write it: ", e.what());
  }
  if (!ok) fail(path.string(), ": OpenCV cannot write it");
  core::commit_temporary(temporary, path);
}

// An uninitialised picture of the image's size; only single-slice images are pictures.
cv::Mat blank_picture(const core::Geometry& g, const fs::path& path, int type) {
  if (g.size[2] != 1) fail(path.string(), ": a ", g.size[2], "-slice volume cannot be written as a 2D picture");
  return cv::Mat(static_cast<int>(g.size[1]), static_cast<int>(g.size[0]), type);
}

}  // namespace

core::Image read_picture(const fs::path& path) {
  cv::Mat mat = decode(path, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
  if (mat.channels() == 3)
    cv::cvtColor(mat, mat, cv::COLOR_BGR2GRAY);
  else if (mat.channels() == 4)
    cv::cvtColor(mat, mat, cv::COLOR_BGRA2GRAY);
  return single_channel_image(mat);
}

core::Image read_picture_mask(const fs::path& path) {
  const cv::Mat mat = decode(path, cv::IMREAD_UNCHANGED);
  if (mat.channels() >= 3 && mat.depth() == CV_8U) return colour_mask(mat);
  return read_picture(path);
}

void write_picture(const core::Image& image, const fs::path& path) {
  cv::Mat mat = blank_picture(image.geometry, path, CV_16UC1);
  for (int y = 0; y < mat.rows; ++y)
    for (int x = 0; x < mat.cols; ++x)
      mat.at<uint16_t>(y, x) = static_cast<uint16_t>(
          std::clamp(std::round(image.voxels[static_cast<size_t>(y) * mat.cols + x]), 0.0f, 65535.0f));
  write_raster(mat, path);
}

void write_picture_mask(const core::Mask& mask, const fs::path& path) {
  cv::Mat mat = blank_picture(mask.geometry, path, CV_8UC1);
  std::copy(mask.voxels.begin(), mask.voxels.end(), mat.data);
  write_raster(mat, path);
}

}  // namespace vbiopsy::modalities
