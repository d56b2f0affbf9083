#include "encoders/radiomics/extractor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <filesystem>
#include <unistd.h>

#include "core/csv.h"
#include "core/error.h"
#include "core/random.h"
#include "encoders/radiomics/settings.h"

namespace vbiopsy::encoders::radiomics {
namespace {

core::Image noise_image(uint64_t seed) {
  core::Geometry g;
  g.size = {8, 7, 5};
  core::Image image(g);
  core::Rng rng(seed);
  for (auto& v : image.voxels) v = static_cast<float>(rng.uniform(0, 200));
  return image;
}

core::Mask box_mask(const core::Geometry& g) {
  core::Mask mask(g);
  for (size_t z = 1; z < 4; ++z)
    for (size_t y = 1; y < 6; ++y)
      for (size_t x = 2; x < 7; ++x) mask.at(x, y, z) = 1;
  return mask;
}

ExtractionSettings fbn(int bins) {
  ExtractionSettings s;
  s.discretisation.method = Discretisation::kFixedBinNumber;
  s.discretisation.bin_number = bins;
  return s;
}

void expect_error(const std::function<void()>& run, const std::string& fragment) {
  try {
    run();
    ADD_FAILURE() << "no error; expected one containing '" << fragment << "'";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(RadiomicsInput, BadMasksAndSettingsGiveClearErrors) {
  core::Image image = noise_image(1);
  core::Mask empty(image.geometry);
  expect_error([&] { extract_features(image, empty, fbn(8)); }, "the mask is empty");
  core::Mask mask = box_mask(image.geometry);
  ExtractionSettings other_label = fbn(8);
  other_label.label = 3;
  expect_error([&] { extract_features(image, mask, other_label); }, "label 3 does not occur in the mask");
  core::Mask shifted = mask;
  shifted.geometry.origin[0] += 5;
  expect_error([&] { extract_features(image, shifted, fbn(8)); }, "mask does not match the image grid: origin[0]");
  core::Image with_nan = image;
  with_nan.at(3, 3, 2) = NAN;
  expect_error([&] { extract_features(with_nan, mask, fbn(8)); }, "holds nan");
  ExtractionSettings tiny_bins;
  tiny_bins.discretisation.method = Discretisation::kFixedBinSize;
  tiny_bins.discretisation.bin_size = 1e-6;
  expect_error([&] { extract_features(image, mask, tiny_bins); }, "grey levels (limit 100000)");
  ExtractionSettings unknown = fbn(8);
  unknown.families = {"glcm", "wavelets"};
  expect_error([&] { extract_features(image, mask, unknown); }, "unknown feature family 'wavelets'");
  // PyRadiomics-only settings are refused by the IBSI convention rather than ignored.
  ExtractionSettings normalised = fbn(8);
  normalised.normalize = true;
  expect_error([&] { extract_features(image, mask, normalised); }, "belong to --compat pyradiomics");
  ExtractionSettings shifted_values = fbn(8);
  shifted_values.voxel_array_shift = 2000;
  expect_error([&] { extract_features(image, mask, shifted_values); },
               "voxelArrayShift = 2000, padDistance = 5, normalizeScale = 1");
  ExtractionSettings padded = fbn(8);
  padded.pad_distance = 3;
  expect_error([&] { extract_features(image, mask, padded); },
               "these belong to --compat pyradiomics (defaults 0, 5, 1)");
}

// Settings that would convert a float to an int out of range, or allocate without bound, are
// refused naming the file, the key and the value, before anything is allocated.
TEST(RadiomicsInput, OutOfRangeSettingsAndOverFineResamplingAreRefusedByName) {
  const auto dir = std::filesystem::temp_directory_path() / ("vbiopsy_settings_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::pair<const char*, const char*> cases[] = {
      {"binCount = 1e10", "binCount = '1e10' is not a whole number from 1 to 1000000"},
      {"binCount = nan", "binCount = 'nan' is not a whole number"},
      {"binWidth = inf", "binWidth = 'inf' is not a finite number"},
      {"label = 1e10", "label = '1e10' is not a mask label"},
      {"maxGreyLevels = 1e12", "maxGreyLevels = '1e12' is not a whole number"},
      {"resampledPixelSpacing = 1, nan, 1", "resampledPixelSpacing = 'nan' is not a finite number"},
  };
  for (const auto& [line, expected] : cases) {
    std::ofstream(dir / "s.ini") << "[setting]\n" << line << "\n";
    expect_error([&] { read_settings(dir / "s.ini"); }, expected);
  }
  std::filesystem::remove_all(dir);
  // 0.001 mm over an 8 x 7 x 5 mm image: 4e11 voxels, refused before allocating.
  ExtractionSettings fine = fbn(8);
  fine.resampled_spacing = {0.001, 0.001, 0.001};
  expect_error(
      [&] { extract_features(noise_image(2), box_mask(noise_image(2).geometry), fine); },
      "resampling to 0.001 x 0.001 x 0.001 mm (setting.resampledPixelSpacing), a 8000 x 7000 x 5000 grid, would need");
}

TEST(RadiomicsInput, OneVoxelAndFlatRegionsGiveNumbersOrDocumentedNaN) {
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    core::Image image = noise_image(seed);
    core::Mask one(image.geometry);
    one.at(4, 3, 2) = 1;
    for (const auto& f : extract_features(image, one, fbn(8))) {
      EXPECT_FALSE(std::isinf(f.value)) << column_name(f);
    }
    core::Mask one_slice(image.geometry);
    for (size_t y = 1; y < 6; ++y)
      for (size_t x = 1; x < 7; ++x) one_slice.at(x, y, 2) = 1;
    for (const auto& f : extract_features(image, one_slice, fbn(8))) {
      EXPECT_FALSE(std::isinf(f.value)) << column_name(f);
    }
    core::Image flat = image;
    std::fill(flat.voxels.begin(), flat.voxels.end(), 42.0f);
    const auto features = extract_features(flat, box_mask(image.geometry), fbn(8));
    for (const auto& f : features) {
      if (f.name == "intensity_skewness" || f.name == "excess_intensity_kurtosis") {
        EXPECT_TRUE(std::isnan(f.value));
      }
      if (f.name == "intensity_variance") {
        EXPECT_EQ(f.value, 0.0);
      }
      EXPECT_FALSE(std::isinf(f.value)) << column_name(f);
    }
  }
}

TEST(RadiomicsInput, TextureFeaturesDoNotDependOnVoxelOrderSymmetry) {
  // Mirroring the image and mask along x leaves every rotation-invariant aggregate unchanged.
  for (uint64_t seed : {4ull, 5ull}) {
    core::Image image = noise_image(seed);
    core::Mask mask = box_mask(image.geometry);
    core::Image mirrored = image;
    core::Mask mirrored_mask = mask;
    const auto& s = image.geometry.size;
    for (size_t z = 0; z < s[2]; ++z)
      for (size_t y = 0; y < s[1]; ++y)
        for (size_t x = 0; x < s[0]; ++x) {
          mirrored.at(s[0] - 1 - x, y, z) = image.at(x, y, z);
          mirrored_mask.at(s[0] - 1 - x, y, z) = mask.at(x, y, z);
        }
    const auto a = extract_features(image, mask, fbn(6));
    const auto b = extract_features(mirrored, mirrored_mask, fbn(6));
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].family == "morph" && a[i].name == "centre_of_mass_shift") continue;
      if (std::isnan(a[i].value)) {
        EXPECT_TRUE(std::isnan(b[i].value)) << column_name(a[i]);
        continue;
      }
      EXPECT_NEAR(a[i].value, b[i].value, 1e-9 * std::max(1.0, std::abs(a[i].value))) << column_name(a[i]);
    }
  }
}

TEST(RadiomicsCommand, WritesTheLongCsvForThePhantom) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_radiomics_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  { std::ofstream(dir / "p.ini") << "[setting]\ndiscretisation = none\n"; }
  const fs::path phantom = fs::path(VBIOPSY_TEST_DATA) / "ibsi_digital_phantom";
  const std::string command = std::string(VBIOPSY_BIN_DIR) + "/vbiopsy radiomics --image " +
                              (phantom / "image.nii.gz").string() + " --mask " + (phantom / "mask.nii.gz").string() +
                              " --params " + (dir / "p.ini").string() + " --out " + (dir / "f.csv").string() +
                              " > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto table = core::read_csv(dir / "f.csv");
  EXPECT_EQ(table.header, (std::vector<std::string>{"name", "ibsi_id", "value"}));
  EXPECT_EQ(table.rows.size(), 482u);
  EXPECT_EQ(table.rows[0][0], "morph_volume_mesh");
  EXPECT_EQ(table.rows[0][1], "RNU0");
  EXPECT_NEAR(std::stod(table.rows[0][2]), 556.33, 0.01);
  fs::remove_all(dir);
}

// The rows (name, value) of `vbiopsy radiomics --compat pyradiomics` on the PyRadiomics case
// `name` (brain1, brain2) with the settings `ini`, run as a program.
std::vector<std::pair<std::string, double>> pyradiomics_program_rows(const std::string& name, const std::string& ini) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_radiomics_program_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  { std::ofstream(dir / "p.ini") << ini; }
  const fs::path data = fs::path(VBIOPSY_TEST_DATA) / "pyradiomics";
  const std::string command = std::string(VBIOPSY_BIN_DIR) + "/vbiopsy radiomics --compat pyradiomics --image " +
                              (data / (name + "_image.nrrd")).string() + " --mask " +
                              (data / (name + "_label.nrrd")).string() + " --params " + (dir / "p.ini").string() +
                              " --out " + (dir / "f.csv").string() + " > /dev/null";
  std::vector<std::pair<std::string, double>> rows;
  if (std::system(command.c_str()) == 0)
    for (auto& row : core::read_csv(dir / "f.csv").rows) rows.emplace_back(row[0], std::stod(row[2]));
  fs::remove_all(dir);
  return rows;
}

TEST(RadiomicsCommand, LogImagesAreNamedAfterTheSigmaAsTyped) {
  const auto rows =
      pyradiomics_program_rows("brain1", "[setting]\nbinWidth = 25\n[imageType]\nOriginal = false\nLoG = 1.0, 2\n");
  ASSERT_FALSE(rows.empty());
  std::set<std::string> types;
  for (const auto& [name, value] : rows)
    if (name.rfind("original_shape", 0) != 0)  // PyRadiomics describes the shape whatever the image types
      types.insert(name.substr(0, name.find('_')));
  EXPECT_EQ(types, (std::set<std::string>{"log-sigma-1-0-mm-3D", "log-sigma-2-mm-3D"}));
}

TEST(RadiomicsCommand, Lbp3DImagesThroughTheProgramKeepTheFilesIntegerSamples) {
  // The program passes the file's pixel type (short) on: its lbp-3D maps are those of
  // tools/lbp3d_reference.py, whose samples scipy rounds to short.
  const auto rows =
      pyradiomics_program_rows("brain1", "[setting]\nbinWidth = 25\n[imageType]\nOriginal = false\nLBP3D = true\n");
  const std::map<std::string, double> values(rows.begin(), rows.end());
  const auto reference =
      core::read_csv(std::filesystem::path(VBIOPSY_TEST_DATA) / "pyradiomics" / "lbp3d" / "brain1_default.csv");
  for (size_t c = 3; c < reference.header.size(); ++c) {
    double sum = 0;
    for (const auto& row : reference.rows) sum += std::stod(row[c]);
    const double mean = sum / double(reference.rows.size());
    const std::string name = "lbp-3D-" + reference.header[c] + "_firstorder_Mean";
    ASSERT_TRUE(values.count(name)) << name;
    EXPECT_NEAR(values.at(name), mean, 1e-6 * std::max(1.0, std::abs(mean))) << name;
  }
}

TEST(RadiomicsCommand, PyRadiomicsConventionReproducesTheBaselineThroughTheProgram) {
  const auto rows = pyradiomics_program_rows("brain2", "[setting]\nbinWidth = 25\nvoxelArrayShift = 2000\n");
  const std::map<std::string, double> values(rows.begin(), rows.end());
  // baseline_glcm.csv and baseline_firstorder.csv, column brain2
  EXPECT_NEAR(values.at("original_glcm_Idmn"), 0.9709270908607235, 1e-6 * 0.97);
  EXPECT_NEAR(values.at("original_firstorder_Energy"), 2594007770.0, 1e-6 * 2594007770.0);
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
