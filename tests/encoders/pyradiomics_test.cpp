#include "encoders/radiomics/pyradiomics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "core/csv.h"
#include "core/error.h"
#include "core/strings.h"
#include "encoders/radiomics/settings.h"
#include "modalities/image_io.h"

namespace vbiopsy::encoders::radiomics {
namespace {
namespace fs = std::filesystem;
const fs::path kData = fs::path(VBIOPSY_TEST_DATA) / "pyradiomics";

// Baseline values of one configuration column, by feature name.
std::map<std::string, double> baseline(const std::string& column) {
  std::map<std::string, double> values;
  for (auto& entry : fs::directory_iterator(kData / "baseline")) {
    auto table = core::read_csv(entry.path());
    auto c = table.column(column);
    if (!c) continue;
    for (auto& row : table.rows) {
      if (row[0].rfind("original_", 0) != 0) continue;
      if (auto v = core::parse_double(row[*c])) values[row[0]] = *v;
    }
  }
  return values;
}

// Mesh-based shape features cannot match PyRadiomics' own marching cubes table to 1e-6: ours is
// derived by rule (docs/radiomics.md); measured at most 0.15% (brain1 resampled, surface area).
bool mesh_based(const std::string& name) {
  for (const char* m : {"MeshVolume", "SurfaceArea", "SurfaceVolumeRatio", "Sphericity"})
    if (name == std::string("original_shape_") + m) return true;
  return false;
}

struct Configuration {
  const char* suffix;  // baseline column = brainN + suffix
  ExtractionSettings settings;
};

std::vector<Configuration> configurations() {
  std::vector<Configuration> out;
  ExtractionSettings s = default_settings();  // binWidth 25, PyRadiomics' default
  s.voxel_array_shift = 2000;                 // each configuration's settings as its diagnostics row records them
  out.push_back({"", s});
  s = default_settings();
  s.discretisation.method = Discretisation::kFixedBinNumber;
  s.discretisation.bin_number = 64;
  out.push_back({"_FBN", s});
  s = default_settings();
  s.force_2d = true;
  out.push_back({"_2d", s});
  s = default_settings();
  s.merge_directions = true;
  out.push_back({"_combined", s});
  s = default_settings();
  s.normalize = true;
  s.normalize_scale = 100;
  s.discretisation.bin_size = 5;
  out.push_back({"_normalization", s});
  s = default_settings();
  s.resegment_mode = "sigma";
  s.resegment_range = {-3, 3};
  out.push_back({"_resegmentation", s});
  s = default_settings();
  s.discretisation.bin_size = 5000;
  s.resegment_range = {0};
  out.push_back({"_flatRegion", s});
  s = default_settings();
  s.resampled_spacing = {2, 2, 2};
  out.push_back({"_resampling", s});
  return out;
}

TEST(PyRadiomicsCompat, EveryConfigurationMatchesTheBaselineOnBrain1AndBrain2) {
  for (const std::string name : {"brain1", "brain2"}) {
    auto image = modalities::read_image(kData / (name + "_image.nrrd"));
    auto mask = modalities::read_mask(kData / (name + "_label.nrrd"));
    const std::string pixel_type = modalities::stored_pixel_type(kData / (name + "_image.nrrd"));
    EXPECT_EQ(pixel_type, "short");  // resampling rounds as the stored type does
    for (auto configuration : configurations()) {
      const std::string column = name + configuration.suffix;
      const auto features = pyradiomics_features(image, mask, configuration.settings, pixel_type);
      const auto expected = baseline(column);
      ASSERT_FALSE(expected.empty()) << column;
      std::map<std::string, double> computed;
      for (const auto& f : features) computed[column_name(f)] = f.value;
      std::string failures;
      for (const auto& [key, value] : expected) {
        auto it = computed.find(key);
        if (it == computed.end()) {
          failures += "  not computed: " + key + "\n";
          continue;
        }
        // Relative 1e-6; the absolute 1e-12 absorbs PyRadiomics' log2(p + eps) artefacts (-3.2e-16
        // instead of an entropy of 0 in a flat region).
        const double tolerance = (mesh_based(key) ? 2e-3 : 1e-6) * std::abs(value) + 1e-12;
        if (!(std::abs(it->second - value) <= tolerance))
          failures += core::concat("  ", key, ": ", it->second, ", baseline ", value, " (rel ",
                                   (it->second - value) / value, ")\n");
      }
      EXPECT_TRUE(failures.empty()) << column << ":\n" << failures;
    }
  }
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics

#include "encoders/radiomics/roi.h"
#include "encoders/radiomics/shape2d.h"

namespace vbiopsy::encoders::radiomics {
namespace {

TEST(PyRadiomicsCompat, Shape2DMatchesTheBaselineOnTheSliceItWasComputedOn) {
  // baseline_shape2D.csv records a one-slice mask: brain1 slice 16 (984 pixels, box 162,84 45x32),
  // brain2 slice 8 (227 pixels, box 205,155 20x14).
  for (auto [name, slice] :
       {std::pair<std::string, size_t>{"brain1", 16}, std::pair<std::string, size_t>{"brain2", 8}}) {
    auto image = modalities::read_image(kData / (name + "_image.nrrd"));
    auto mask = modalities::read_mask(kData / (name + "_label.nrrd"));
    for (size_t z = 0; z < mask.geometry.size[2]; ++z)
      if (z != slice)
        for (size_t y = 0; y < mask.geometry.size[1]; ++y)
          for (size_t x = 0; x < mask.geometry.size[0]; ++x) mask.at(x, y, z) = 0;
    const auto features = shape2d_features(extract_roi(image, mask, 1));
    const auto expected = baseline(name + "_shape2D");
    ASSERT_EQ(expected.size(), 9u);
    for (const auto& f : features) {
      const double value = expected.at("original_shape2D_" + f.name);
      EXPECT_NEAR(f.value, value, 1e-6 * std::abs(value)) << name << " " << f.name;
    }
  }
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics

#include "encoders/radiomics/extractor.h"

namespace vbiopsy::encoders::radiomics {
namespace {

void expect_same_features(const FeatureList& a, const FeatureList& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(column_name(a[i]), column_name(b[i])) << what << " feature " << i;
    // Bit for bit (NaN equals NaN): the thread count must not change a value.
    EXPECT_TRUE(a[i].value == b[i].value || (std::isnan(a[i].value) && std::isnan(b[i].value)))
        << what << " " << column_name(a[i]) << ": " << a[i].value << " vs " << b[i].value;
  }
}

TEST(PyRadiomicsCompat, ANormalisedIntegerImageIsResampledAsARealImage) {
  // sitk.Normalize turns brain1's short voxels into doubles, which the B-spline resampler keeps;
  // casting them back to short would leave only the integers -3 ... 3 or so.
  auto settings = default_settings();
  settings.normalize = true;
  settings.resampled_spacing = {2, 2, 2};
  settings.discretisation.bin_size = 0.1;
  const auto image = modalities::read_image(kData / "brain1_image.nrrd");
  const auto mask = modalities::read_mask(kData / "brain1_label.nrrd");
  std::map<std::string, double> values;
  for (const auto& f : pyradiomics_features(image, mask, settings, "short")) values[f.family + "_" + f.name] = f.value;
  for (const char* name :
       {"original_firstorder_Minimum", "original_firstorder_Maximum", "original_firstorder_Median"}) {
    ASSERT_TRUE(values.count(name)) << name;
    EXPECT_GT(std::abs(values[name] - std::round(values[name])), 1e-6) << name << " = " << values[name];
  }
}

TEST(RadiomicsThreads, FilteredImagesGiveTheSameFeaturesInTheSameOrderOnOneOrThreeThreads) {
  auto image = modalities::read_image(kData / "brain2_image.nrrd");
  auto mask = modalities::read_mask(kData / "brain2_label.nrrd");
  FilterSettings filters;
  filters.log_sigma = {log_sigma_typed("1"), log_sigma_typed("3")};
  filters.wavelet = "haar";
  filters.square = filters.exponential = filters.gradient = true;
  auto py = default_settings();
  py.filters = filters;
  auto ibsi = default_settings();
  ibsi.filters = filters;
  ibsi.families = {"stats", "glcm", "glszm"};
  py.threads = ibsi.threads = 1;
  const FeatureList py_one = pyradiomics_features(image, mask, py);
  const FeatureList ibsi_one = extract_features(image, mask, ibsi);
  py.threads = ibsi.threads = 3;
  expect_same_features(py_one, pyradiomics_features(image, mask, py), "pyradiomics");
  expect_same_features(ibsi_one, extract_features(image, mask, ibsi), "ibsi");
  // 1 original + 2 LoG + 8 wavelet bands + 3 others, each with its firstorder block.
  size_t types = 0;
  for (const auto& f : py_one) types += column_name(f).ends_with("_firstorder_Mean");
  EXPECT_EQ(types, 14u);
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
