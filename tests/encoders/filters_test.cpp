#include "encoders/radiomics/filters.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/random.h"
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/lbp.h"
#include "encoders/radiomics/pyradiomics.h"
#include "encoders/radiomics/recursive_gaussian.h"
#include "encoders/radiomics/settings.h"
#include "modalities/image_io.h"
#include "modalities/itk_bridge.h"

#include <itkLaplacianRecursiveGaussianImageFilter.h>

namespace vbiopsy::encoders::radiomics {
namespace {

core::Image noise(std::array<size_t, 3> size, uint64_t seed) {
  core::Geometry g;
  g.size = size;
  core::Image image(g);
  core::Rng rng(seed);
  for (auto& v : image.voxels) v = static_cast<float>(rng.normal(100, 20));
  return image;
}

double energy(const core::Image& image) {
  double e = 0;
  for (float v : image.voxels) e += double(v) * v;
  return e;
}

TEST(Filters, StationaryWaveletBandsCarryEightTimesTheEnergy) {
  // An undecimated orthonormal filter pair doubles the energy per axis: 2^3 in 3D.
  for (const char* wavelet : {"haar", "coif1"})
    for (uint64_t seed : {1ull, 2ull}) {
      const core::Image image = noise({8, 6, 4}, seed);
      const auto bands = stationary_wavelet(image, wavelet);
      ASSERT_EQ(bands.size(), 8u);
      double total = 0;
      for (auto& [name, band] : bands) total += energy(band);
      EXPECT_NEAR(total / energy(image), 8.0, 1e-4) << wavelet;
      EXPECT_EQ(bands.front().first, "wavelet-LLL");
      EXPECT_EQ(bands.back().first, "wavelet-HHH");
    }
}

TEST(Filters, WaveletOfAConstantIsAllInTheLowPassBand) {
  core::Geometry g;
  g.size = {5, 4, 3};  // odd sizes exercise the wrap padding
  const core::Image flat(g, 10.0f);
  for (auto& [name, band] : stationary_wavelet(flat, "coif1")) {
    const double expected = name == "wavelet-LLL" ? 10.0 * std::pow(std::sqrt(2.0), 3) : 0.0;
    for (float v : band.voxels) EXPECT_NEAR(v, expected, 1e-4) << name;
  }
}

TEST(Filters, LaplacianOfGaussianOfAGaussianBlobMatchesTheAnalyticCentreValue) {
  // f = exp(-r^2 / 2s^2) blurred by G_sigma stays Gaussian; sigma^2 times its Laplacian at the centre
  // is -3 sigma^2 / (s^2 + sigma^2) * (s^2 / (s^2 + sigma^2))^(3/2).
  core::Geometry g;
  g.size = {41, 41, 41};
  core::Image blob(g);
  const double s = 3.0, sigma = 2.0;
  for (size_t z = 0; z < 41; ++z)
    for (size_t y = 0; y < 41; ++y)
      for (size_t x = 0; x < 41; ++x) {
        const double r2 = std::pow(x - 20.0, 2) + std::pow(y - 20.0, 2) + std::pow(z - 20.0, 2);
        blob.at(x, y, z) = static_cast<float>(std::exp(-r2 / (2 * s * s)));
      }
  const double t = s * s + sigma * sigma;
  const double expected = -3 * sigma * sigma / t * std::pow(s * s / t, 1.5);
  EXPECT_NEAR(laplacian_of_gaussian(blob, sigma).at(20, 20, 20), expected, 0.02 * std::abs(expected));
}

TEST(Filters, GradientOfARampIsItsSlopeInMillimetres) {
  core::Geometry g;
  g.size = {10, 10, 10};
  g.spacing = {2, 1, 1};
  core::Image ramp(g);
  for (size_t z = 0; z < 10; ++z)
    for (size_t y = 0; y < 10; ++y)
      for (size_t x = 0; x < 10; ++x) ramp.at(x, y, z) = static_cast<float>(3.0 * x * 2.0);  // 3 per mm along x
  EXPECT_NEAR(gradient_magnitude(ramp).at(5, 5, 5), 3.0, 1e-5);
}

TEST(Filters, PointFiltersKeepTheRangeAndAreNamedAsPyRadiomics) {
  const core::Image image = noise({6, 5, 4}, 3);
  FilterSettings settings;
  settings.original = false;
  settings.square = settings.square_root = settings.logarithm = settings.exponential = true;
  std::vector<std::string> names;
  double max_abs = 0;
  for (float v : image.voxels) max_abs = std::max(max_abs, double(std::abs(v)));
  for_each_image_type(image, settings, [&](const std::string& name, const core::Image& filtered) {
    names.push_back(name);
    double filtered_max = 0;
    for (float v : filtered.voxels) filtered_max = std::max(filtered_max, double(std::abs(v)));
    EXPECT_NEAR(filtered_max, max_abs, 1e-3 * max_abs) << name;  // each maps max|x| to max|x|
  });
  EXPECT_EQ(names, (std::vector<std::string>{"square", "squareroot", "logarithm", "exponential"}));
}

TEST(Filters, ALogWiderThanTheImageIsSkippedAndNamed) {
  FilterSettings settings;
  settings.original = false;
  settings.log_sigma = {log_sigma_typed("1.5"), log_sigma_typed("20")};
  std::vector<std::string> names, skipped;
  for_each_image_type(
      noise({8, 8, 8}, 4), settings, [&](const std::string& name, const core::Image&) { names.push_back(name); },
      &skipped);
  EXPECT_EQ(names, (std::vector<std::string>{"log-sigma-1-5-mm-3D"}));
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("log-sigma-20-mm-3D"), std::string::npos);
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics

namespace vbiopsy::encoders::radiomics {
namespace {

TEST(Filters, FilteringABoxAroundTheRegionGivesTheWholeImageValuesInsideIt) {
  for (uint64_t seed : {5ull, 6ull}) {
    core::Geometry g;
    g.size = {60, 50, 30};
    core::Image image(g);
    core::Rng rng(seed);
    for (auto& v : image.voxels) v = static_cast<float>(rng.normal(100, 20));
    core::Mask region(g);
    for (size_t z = 12; z < 16; ++z)
      for (size_t y = 20; y < 26; ++y)
        for (size_t x = 25; x < 31; ++x) region.at(x, y, z) = 1;
    FilterSettings settings;
    settings.original = false;
    settings.log_sigma = {log_sigma_typed("1"),
                          log_sigma_typed("3")};  // sigma 1: the box grown by 16 sigma fits in x and y, not in z
    settings.wavelet = "coif1";
    settings.gradient = settings.square = settings.exponential = settings.lbp_2d = true;
    settings.lbp_2d_radius = 2.5;
    std::vector<core::Image> whole, boxed;
    for_each_image_type(image, settings, [&](const std::string&, const core::Image& f) { whole.push_back(f); });
    for_each_image_type(image, region, settings,
                        [&](size_t, const std::string&, const core::Image& f, const core::Mask& part) {
                          // The region's bounding box (x 25-30, y 20-25, z 12-15), with the region cropped alike.
                          EXPECT_EQ(f.geometry.size, (std::array<size_t, 3>{6, 6, 4}));
                          EXPECT_EQ(part.geometry.size, f.geometry.size);
                          EXPECT_EQ(f.geometry.origin, image.geometry.index_to_physical(25, 20, 12));
                          boxed.push_back(f);
                        });
    ASSERT_EQ(whole.size(), boxed.size());
    for (size_t k = 0; k < whole.size(); ++k)
      for (size_t z = 12; z < 16; ++z)
        for (size_t y = 20; y < 26; ++y)
          for (size_t x = 25; x < 31; ++x) {
            const float expected = whole[k].at(x, y, z);
            EXPECT_NEAR(boxed[k].at(x - 25, y - 20, z - 12), expected, 1e-5 * std::max(1.0f, std::abs(expected))) << k;
          }
  }
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics

namespace vbiopsy::encoders::radiomics {
namespace {

// ITK's filter as PyRadiomics calls it: the reference our line-restricted version must equal.
core::Image itk_laplacian_of_gaussian(const core::Image& image, double sigma) {
  using FloatImage = itk::Image<float, 3>;
  auto filter = itk::LaplacianRecursiveGaussianImageFilter<FloatImage, FloatImage>::New();
  filter->SetInput(modalities::itk_bridge::to_itk<float>(image.geometry, image.voxels.data()));
  filter->SetSigma(sigma);
  filter->SetNormalizeAcrossScale(true);
  filter->SetNumberOfWorkUnits(1);
  filter->Update();
  core::Image out(image.geometry);
  std::copy_n(filter->GetOutput()->GetBufferPointer(), out.voxels.size(), out.voxels.begin());
  return out;
}

TEST(Filters, LaplacianOfGaussianEqualsItksBitForBitOnAnyBox) {
  for (uint64_t seed : {11ull, 12ull, 13ull}) {
    core::Image image = noise({23, 17, 9}, seed);
    image.geometry.spacing = {0.7, 1.3, 2.5};
    for (double sigma : {0.8, 2.0, 5.0}) {
      const core::Image reference = itk_laplacian_of_gaussian(image, sigma);
      const core::Image whole = laplacian_of_gaussian(image, sigma);
      for (size_t i = 0; i < whole.voxels.size(); ++i)
        ASSERT_EQ(whole.voxels[i], reference.voxels[i]) << "seed " << seed << " sigma " << sigma << " voxel " << i;
      const VoxelBox box{{3, 5, 2}, {10, 16, 4}};
      const core::Image part = laplacian_of_gaussian_in(image, sigma, box);
      ASSERT_EQ(part.geometry.size, (std::array<size_t, 3>{8, 12, 3}));
      for (size_t z = 0; z < 3; ++z)
        for (size_t y = 0; y < 12; ++y)
          for (size_t x = 0; x < 8; ++x)
            ASSERT_EQ(part.at(x, y, z), reference.at(x + 3, y + 5, z + 2)) << "seed " << seed << " sigma " << sigma;
    }
  }
}

TEST(Filters, LaplacianOfGaussianRefusesABoxOutsideTheImageOrLinesTooShort) {
  const core::Image image = noise({8, 8, 8}, 3);
  EXPECT_THROW(laplacian_of_gaussian_in(image, 1, VoxelBox{{0, 0, 0}, {8, 7, 7}}), core::Error);
  EXPECT_THROW(laplacian_of_gaussian(noise({8, 8, 3}, 3), 1), core::Error);
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics

namespace vbiopsy::encoders::radiomics {
namespace {

TEST(LogSigmaNames, FollowHowPythonPrintsTheTypedNumber) {
  // PyRadiomics names a LoG image "log-sigma-" + str(sigma).replace(".", "-") + "-mm-3D", with sigma
  // as Python parsed it from the settings: an int stays an int, a float prints by repr.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1", "1"},           {"1.0", "1-0"},        {"2.50", "2-5"},
      {"0.5", "0-5"},       {"007", "7"},          {"1e-5", "1e-05"},
      {"0.00001", "1e-05"}, {"0.0001", "0-0001"},  {"100000.0", "100000-0"},
      {"1e20", "1e+20"},    {"1.5e16", "1-5e+16"}, {"123.456", "123-456"},
      {" 4 ", "4"}};
  for (const auto& [typed, name] : cases) {
    const auto sigma = log_sigma_typed(typed);
    EXPECT_EQ(sigma.name(), name) << typed;
    EXPECT_DOUBLE_EQ(sigma.mm, std::stod(typed)) << typed;
  }
  for (const char* bad : {"0", "-1", "x", "nan", ""}) EXPECT_THROW(log_sigma_typed(bad), core::Error) << bad;
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics

namespace vbiopsy::encoders::radiomics {
namespace {

TEST(LocalBinaryPatterns, MatchTheHandComputedPatternOfAPlane) {
  // 1 2 3 / 4 5 6 / 7 8 9 (rows y, columns x). Around the centre 5, the eight neighbours
  // (0, 45, ..., 315 degrees; bilinear at the diagonals) are 6, 3.586, 2, 2.172, 4, 6.414, 8, 7.828:
  // bits 1 0 0 0 0 1 1 1, two changes, four set; 1 + 32 + 64 + 128 = 225; its smallest rotation 15.
  core::Geometry g;
  g.size = {3, 3, 1};
  core::Image plane(g);
  for (size_t i = 0; i < 9; ++i) plane.voxels[i] = float(i + 1);
  EXPECT_EQ(local_binary_pattern_2d(plane, 1, 8, "uniform").at(1, 1, 0), 4.0f);
  EXPECT_EQ(local_binary_pattern_2d(plane, 1, 8, "default").at(1, 1, 0), 225.0f);
  EXPECT_EQ(local_binary_pattern_2d(plane, 1, 8, "ror").at(1, 1, 0), 15.0f);
  // A constant plane: every neighbour inside equals the centre (8 bits set); outside the image the
  // zeros (or interpolations with them) fall below it. On the left edge the neighbours at 135, 180
  // and 225 degrees fall out: bits 1 1 1 0 0 0 1 1, two changes, five set.
  g.size = {5, 5, 2};
  core::Image flat(g, 7.0f);
  const auto lbp = local_binary_pattern_2d(flat, 1, 8, "uniform");
  EXPECT_EQ(lbp.at(2, 2, 0), 8.0f);
  EXPECT_EQ(lbp.at(2, 2, 1), 8.0f);
  EXPECT_EQ(lbp.at(0, 2, 0), 5.0f);
  EXPECT_THROW(local_binary_pattern_2d(flat, 1, 8, "var"), core::Error);
}

TEST(LocalBinaryPatterns, TheLbp2DImageTypeGivesPyRadiomicsNinetyThreeFeatures) {
  auto settings = default_settings();
  settings.filters.original = false;
  settings.filters.lbp_2d = true;
  const std::filesystem::path data = std::filesystem::path(VBIOPSY_TEST_DATA) / "pyradiomics";
  const auto image = modalities::read_image(data / "brain1_image.nrrd");
  const auto mask = modalities::read_mask(data / "brain1_label.nrrd");
  size_t count = 0;
  for (const auto& f : pyradiomics_features(image, mask, settings)) {
    const std::string name = column_name(f);
    if (name.rfind("lbp-2D_", 0) != 0) continue;
    ++count;
    // Uniform patterns of 8 samples take the values 0 to 9.
    if (name == "lbp-2D_firstorder_Minimum") {
      EXPECT_GE(f.value, 0.0);
    }
    if (name == "lbp-2D_firstorder_Maximum") {
      EXPECT_LE(f.value, 9.0);
    }
  }
  EXPECT_EQ(count, 93u);  // firstorder 18, glcm 24, glrlm 16, glszm 16, gldm 14, ngtdm 5
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
