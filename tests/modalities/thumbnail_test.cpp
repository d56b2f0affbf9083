// Pictures of an image around its region (modalities/thumbnail.h), decoded again with OpenCV.
#include "modalities/mask_loading.h"
#include "modalities/thumbnail.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "modalities/case_loader.h"
#include "modalities/image_io.h"

namespace vbiopsy::modalities {
namespace {
namespace fs = std::filesystem;
const fs::path kData = VBIOPSY_TEST_DATA;

cv::Mat decoded(const Thumbnail& t) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(t.png.size()), CV_8UC1, const_cast<uint8_t*>(t.png.data())),
                      cv::IMREAD_COLOR);
}
bool red(const cv::Vec3b& p) { return p[2] > 200 && p[1] < 60 && p[0] < 60; }

// A 3D image whose region is largest on slice 2, with pixels twice as wide as high.
TEST(Thumbnail, ShowsTheSliceWithMostRegionInSquareMillimetresWithItsOutline) {
  core::Image image;
  image.geometry.size = {80, 60, 4};
  image.geometry.spacing = {1.0, 0.5, 3.0};
  image.voxels.assign(image.geometry.voxel_count(), 100.0f);
  core::Mask mask;
  mask.geometry = image.geometry;
  mask.voxels.assign(image.geometry.voxel_count(), 0);
  for (size_t z : {1, 2})
    for (size_t y = 20; y < 40; ++y)
      for (size_t x = 30; x < (z == 2 ? 50u : 35u); ++x) {
        mask.at(x, y, z) = 1;
        image.at(x, y, z) = 300.0f;
      }
  const auto t = region_thumbnail(image, mask, 200);
  EXPECT_EQ(t.slice, 2u);
  // The box: the region (x 30-50, y 20-40) widened by its extent (20 voxels) on each side.
  EXPECT_EQ(t.box, (std::array<size_t, 4>{10, 0, 70, 60}));
  const auto picture = decoded(t);
  ASSERT_FALSE(picture.empty());
  // 60 voxels x 1 mm wide, 60 x 0.5 mm high: twice as wide as high, the longer side 200 pixels.
  EXPECT_EQ(picture.cols, 200);
  EXPECT_EQ(picture.rows, 100);
  // The outline runs round the region: red on its left edge row, none in its middle or far outside.
  const int cx = picture.cols / 2, cy = picture.rows / 2;
  EXPECT_FALSE(red(picture.at<cv::Vec3b>(cy, cx)));
  EXPECT_FALSE(red(picture.at<cv::Vec3b>(2, 2)));
  bool left_edge = false;
  for (int x = 0; x < cx; ++x) left_edge |= red(picture.at<cv::Vec3b>(cy, x));
  EXPECT_TRUE(left_edge);
  // Inside is brighter than outside (a window over the shown region).
  EXPECT_GT(picture.at<cv::Vec3b>(cy, cx)[1], picture.at<cv::Vec3b>(5, 5)[1] + 100);

  mask.voxels.assign(mask.voxels.size(), 0);
  EXPECT_THROW(region_thumbnail(image, mask), core::Error);
}

// A real ultrasound picture and its mask (BUSI).
TEST(Thumbnail, DrawsARealUltrasoundRegion) {
  const auto image = read_image(kData / "ultrasound_busi/malignant_1.png");
  const auto mask =
      load_mask_for(kData / "ultrasound_busi/malignant_1_mask.png", image, kData / "ultrasound_busi/malignant_1.png");
  const auto picture = decoded(region_thumbnail(image, mask));
  ASSERT_FALSE(picture.empty());
  EXPECT_EQ(std::max(picture.cols, picture.rows), 256);
  int reds = 0;
  for (int y = 0; y < picture.rows; ++y)
    for (int x = 0; x < picture.cols; ++x) reds += red(picture.at<cv::Vec3b>(y, x));
  EXPECT_GT(reds, 100);
}

}  // namespace
}  // namespace vbiopsy::modalities
