#include "modalities/roi_crops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/error.h"

namespace vbiopsy::modalities {
namespace {

core::Geometry plane(size_t width, size_t height, double sx, double sy) {
  core::Geometry g;
  g.size = {width, height, 1};
  g.spacing = {sx, sy, 1};
  return g;
}

// A bright rectangle on a dark background, and its mask.
std::pair<core::Image, core::Mask> rectangle(const core::Geometry& g, size_t x0, size_t y0, size_t w, size_t h) {
  core::Image image(g, 10.0f);
  core::Mask mask(g, 0);
  for (size_t y = y0; y < y0 + h; ++y)
    for (size_t x = x0; x < x0 + w; ++x) {
      image.at(x, y, 0) = 110.0f;
      mask.at(x, y, 0) = 1;
    }
  return {image, mask};
}

double mean(const std::vector<float>& v, size_t from, size_t count) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from),
                         v.begin() + static_cast<std::ptrdiff_t>(from + count), 0.0) /
         static_cast<double>(count);
}

// Fraction of the crop's pixels that are bright (half an SD above the crop's mean).
double bright_fraction(const std::vector<float>& v, size_t from, size_t count) {
  size_t bright = 0;
  for (size_t i = from; i < from + count; ++i) bright += v[i] > 0.5f;
  return static_cast<double>(bright) / static_cast<double>(count);
}

TEST(RoiCrops, MammographyViewIsCentredOnTheRegionAndStandardised) {
  const auto [image, mask] = rectangle(plane(200, 150, 0.1, 0.1), 120, 30, 20, 20);
  CropSettings settings;
  settings.size = 32;
  settings.margin = 0.5;  // the square is twice the region's side: the region fills the middle quarter
  const auto crop = mammography_crop({{"CC", "L", image, mask, ""}}, settings);
  ASSERT_EQ(crop.shape, (std::vector<int64_t>{2, 1, 32, 32}));
  ASSERT_EQ(crop.items, (std::vector<uint8_t>{1, 0}));
  const size_t n = 32 * 32;
  EXPECT_NEAR(mean(crop.values, 0, n), 0.0, 1e-5);
  double sq = 0;
  for (size_t i = 0; i < n; ++i) sq += crop.values[i] * crop.values[i];
  EXPECT_NEAR(sq / n, 1.0, 1e-4);
  EXPECT_NEAR(bright_fraction(crop.values, 0, n), 0.25, 1e-9);
  // The centre pixel is bright, the corners dark.
  EXPECT_GT(crop.values[16 * 32 + 16], 0);
  EXPECT_LT(crop.values[0], 0);
  EXPECT_LT(crop.values[n - 1], 0);
  // The missing MLO view is zeros.
  for (size_t i = n; i < 2 * n; ++i) ASSERT_EQ(crop.values[i], 0.0f);
}

// A 2 x 4 mm lesion imaged with anisotropic pixels keeps its 1:2 shape in the crop: the crop is a
// physical square (neither a square in pixels nor stretched to the region's box).
TEST(RoiCrops, CropIsAPhysicalSquareWhateverThePixelSpacing) {
  const auto [image, mask] = rectangle(plane(100, 200, 0.2, 0.1), 40, 80, 10, 40);  // 2 x 4 mm
  CropSettings settings;
  settings.size = 40;
  settings.margin = 0.5;
  const auto crop = ultrasound_crop({{image}, {mask}, {}}, settings);
  ASSERT_EQ(crop.shape, (std::vector<int64_t>{2, 1, 40, 40}));
  EXPECT_EQ(crop.items, (std::vector<uint8_t>{1, 0}));
  // Bright extent along x and along y through the centre: 2 and 4 mm of the 8 mm square.
  int along_x = 0, along_y = 0;
  for (int i = 0; i < 40; ++i) {
    along_x += crop.values[20 * 40 + i] > 0.5f;
    along_y += crop.values[i * 40 + 20] > 0.5f;
  }
  EXPECT_EQ(along_x, 10);
  EXPECT_EQ(along_y, 20);
}

// A large region shrunk onto few pixels is averaged over the input each pixel covers, not
// point-sampled: a one-pixel line that falls between sample positions still shows, in the one
// crop column that covers it.
TEST(RoiCrops, DownsamplingAveragesTheInputEachPixelCovers) {
  const auto g = plane(256, 256, 0.1, 0.1);
  core::Image image(g, 0.0f);
  core::Mask mask(g, 0);
  for (size_t y = 0; y < 256; ++y) {
    image.at(97, y, 0) = 80.0f;  // a point sampler would look at x = 99.5 only
    for (size_t x = 64; x < 192; ++x) mask.at(x, y, 0) = y >= 64 && y < 192;
  }
  CropSettings settings;
  settings.size = 16;  // 8 input pixels per crop pixel; column 4 covers x = 96..103
  settings.margin = 0;
  const auto crop = mammography_crop({{"MLO", "R", image, mask, ""}}, settings);
  ASSERT_EQ(crop.items, (std::vector<uint8_t>{0, 1}));
  const size_t mlo = 16 * 16;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      const float v = crop.values[mlo + static_cast<size_t>(y * 16 + x)];
      if (x == 4)
        EXPECT_GT(v, 1.0f) << x << "," << y;
      else
        EXPECT_LT(v, 0.0f) << x << "," << y;
    }
}

LoadedMri mri_case(bool with_t2) {
  core::Geometry g;
  g.size = {20, 20, 10};
  g.spacing = {1, 1, 2};
  LoadedMri mri;
  mri.mask = core::Mask(g, 0);
  for (size_t z = 3; z < 7; ++z)
    for (size_t y = 6; y < 14; ++y)
      for (size_t x = 6; x < 14; ++x) mri.mask.at(x, y, z) = 1;
  for (int phase = 0; phase < 3; ++phase) {
    core::Image image(g);
    for (size_t i = 0; i < image.voxels.size(); ++i) {
      const bool tumour = mri.mask.voxels[i] != 0;
      image.voxels[i] = 100.0f + static_cast<float>(i % 7) + (tumour ? 50.0f * phase : 0.0f);  // the tumour enhances
    }
    mri.dce.push_back(image);
  }
  mri.dce_times_s = {0, 60, 120};
  if (with_t2) mri.t2 = mri.dce[0];
  return mri;
}

TEST(RoiCrops, MriChannelsKeepEnhancementRelativeToThePreContrastPhase) {
  const auto mri = mri_case(true);
  CropSettings settings;
  settings.size = 16;
  settings.depth = 4;
  settings.margin = 0.25;
  settings.channels = {"dce0", "dce2", "sub2", "t2", "mask"};
  const auto volume = mri_crop(mri, settings, false);
  ASSERT_EQ(volume.shape, (std::vector<int64_t>{5, 4, 16, 16}));
  const size_t n = 4 * 16 * 16;
  // dce0 is standardised by its own moments; dce2 by dce0's, so it is brighter on average.
  EXPECT_NEAR(mean(volume.values, 0, n), 0.0, 1e-4);
  EXPECT_GT(mean(volume.values, n, n), 0.5);
  // sub2 = dce2 - dce0 (by dce0's SD): zero outside the tumour, positive inside.
  const size_t centre = (2 * 16 + 8) * 16 + 8;
  EXPECT_GT(volume.values[2 * n + centre], 1.0);
  EXPECT_NEAR(volume.values[2 * n + 0], 0.0, 1e-4);
  // The mask channel is 1 at the centre.
  EXPECT_NEAR(volume.values[4 * n + centre], 1.0, 1e-6);
  // The slice layout is the same values, slices first.
  const auto slices = mri_crop(mri, settings, true);
  ASSERT_EQ(slices.shape, (std::vector<int64_t>{4, 5, 16, 16}));
  const size_t plane_size = 16 * 16;
  for (size_t z = 0; z < 4; ++z)
    for (size_t c = 0; c < 5; ++c)
      for (size_t p = 0; p < plane_size; p += 37)
        ASSERT_EQ(slices.values[(z * 5 + c) * plane_size + p], volume.values[(c * 4 + z) * plane_size + p]);
}

TEST(RoiCrops, MissingInputsAndBadSettingsAreNamed) {
  const auto mri = mri_case(false);
  CropSettings settings;
  settings.channels = {"dce0", "t2"};
  try {
    mri_crop(mri, settings, false);
    FAIL() << "no T2 should be refused";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'t2'"), std::string::npos) << e.what();
  }
  settings.channels = {"dce5"};
  EXPECT_THROW(mri_crop(mri, settings, false), core::Error);
  settings.channels = {"dwi"};
  EXPECT_THROW(check_crop_settings(settings), core::Error);
  settings.channels = {"dce0"};
  settings.size = 100000;
  EXPECT_THROW(check_crop_settings(settings), core::Error);
  EXPECT_THROW(mammography_crop({}, CropSettings{}), core::Error);
}

}  // namespace
}  // namespace vbiopsy::modalities
