// IBSI 2 phase 1: every configuration in tools/ibsi2/phase1 applied to its digital phantom must
// give the consensus response map, every voxel within 1% of the map's intensity range (the
// IBSI 2 criterion), and the grid operations behave as defined.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <set>
#include <unistd.h>

#include "core/error.h"
#include "encoders/radiomics/convolution/families.h"
#include "encoders/radiomics/convolution/response_map.h"
#include "encoders/radiomics/convolution/wavelet_filters.h"
#include "encoders/radiomics/extractor.h"
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/settings.h"
#include "modalities/image_io.h"

namespace {

namespace fs = std::filesystem;
using namespace vbiopsy::encoders::radiomics::convolution;
const fs::path kIbsi2 = fs::path(VBIOPSY_TEST_DATA) / "ibsi2";
const fs::path kConfigs = fs::path(VBIOPSY_TEST_DATA).parent_path().parent_path() / "tools" / "ibsi2" / "phase1";

// The phantom named on the configuration's first line: "# IBSI 2 phase 1, test <id> (<name> phantom)".
std::string phantom_of(const fs::path& config) {
  std::ifstream in(config);
  std::string line;
  std::getline(in, line);
  std::smatch m;
  if (!std::regex_search(line, m, std::regex(R"(\((\w+) phantom\))"))) return "";
  return m[1];
}

// max |ours - reference| / (max - min of reference).
double relative_deviation(const vbiopsy::core::Image& ours, const vbiopsy::core::Image& reference) {
  const auto [lo, hi] = std::minmax_element(reference.voxels.begin(), reference.voxels.end());
  double worst = 0;
  for (size_t i = 0; i < ours.voxels.size(); ++i)
    worst = std::max(worst, std::abs(double(ours.voxels[i]) - double(reference.voxels[i])));
  return worst / std::max(1e-12, double(*hi - *lo));
}

TEST(Ibsi2Phase1, EveryResponseMapIsWithinOnePercentOfTheConsensusMap) {
  std::vector<fs::path> configs;
  for (const auto& entry : fs::directory_iterator(kConfigs))
    if (entry.path().extension() == ".ini") configs.push_back(entry.path());
  std::sort(configs.begin(), configs.end());
  ASSERT_EQ(configs.size(), 33u);  // every phase-1 map with a consensus reference
  for (const auto& config : configs) {
    const std::string id = config.stem().string(), phantom = phantom_of(config);
    ASSERT_FALSE(phantom.empty()) << config;
    const auto image = vbiopsy::modalities::read_image(kIbsi2 / "phantoms" / phantom / (phantom + ".nii.gz"));
    const auto reference =
        vbiopsy::modalities::read_image(kIbsi2 / "reference_response_maps" / (id + "-ValidCRM.nii.gz"));
    const auto ours = response_map(image, read_filter_spec(config));
    ASSERT_EQ(ours.geometry.size, reference.geometry.size) << id;
    const double deviation = relative_deviation(ours, reference);
    std::printf("IBSI 2 %-6s %-12s max deviation %.4f%% of the reference range\n", id.c_str(), phantom.c_str(),
                100 * deviation);
    EXPECT_LE(deviation, 0.01) << id;
  }
}

TEST(FilterCommand, WritesTheResponseMapOfAnIbsiConfiguration) {
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_filter_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string command = std::string(VBIOPSY_BIN_DIR) + "/vbiopsy filter --image " +
                              (kIbsi2 / "phantoms" / "impulse" / "impulse.nii.gz").string() + " --params " +
                              (kConfigs / "2_a.ini").string() + " --out " + (dir / "map.nii.gz").string() +
                              " > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const auto ours = vbiopsy::modalities::read_image(dir / "map.nii.gz");
  const auto reference = vbiopsy::modalities::read_image(kIbsi2 / "reference_response_maps" / "2_a-ValidCRM.nii.gz");
  EXPECT_LE(relative_deviation(ours, reference), 0.01);
  // A bad configuration fails with its reason, and writes nothing.
  std::ofstream(dir / "bad.ini") << "[filter]\nfilter = mean\n";
  const std::string bad = std::string(VBIOPSY_BIN_DIR) + "/vbiopsy filter --image " +
                          (kIbsi2 / "phantoms" / "impulse" / "impulse.nii.gz").string() + " --params " +
                          (dir / "bad.ini").string() + " --out " + (dir / "bad.nii.gz").string() + " 2> /dev/null";
  EXPECT_NE(std::system(bad.c_str()), 0);
  EXPECT_FALSE(fs::exists(dir / "bad.nii.gz"));
  fs::remove_all(dir);
}

// Writes `text` to a settings file and reads it.
vbiopsy::encoders::radiomics::ExtractionSettings settings_from(const std::string& text) {
  const fs::path file = fs::temp_directory_path() / ("ibsi2_types_" + std::to_string(::getpid()) + ".ini");
  std::ofstream(file) << text;
  auto settings = vbiopsy::encoders::radiomics::read_settings(file);
  fs::remove(file);
  return settings;
}

std::map<std::string, double> by_name(const vbiopsy::encoders::radiomics::FeatureList& features) {
  std::map<std::string, double> out;
  for (const auto& f : features) out[vbiopsy::encoders::radiomics::column_name(f)] = f.value;
  return out;
}

TEST(Ibsi2ImageTypes, FilterSectionsAreImageTypesDescribedOnTheUnfilteredSegmentation) {
  const fs::path phantom = fs::path(VBIOPSY_TEST_DATA) / "ibsi_digital_phantom";
  const auto image = vbiopsy::modalities::read_image(phantom / "image.nii.gz");
  const auto mask = vbiopsy::modalities::read_mask(phantom / "mask.nii.gz");
  // A mean over one voxel is the image itself: its features equal the original's.
  const auto same = by_name(vbiopsy::encoders::radiomics::extract_features(
      image, mask,
      settings_from("[setting]\nbinCount = 8\n[filter.identity]\nfilter = mean\nsupport = 1\n"
                    "[features]\nfamilies = stats, glcm\n")));
  size_t compared = 0;
  for (const auto& [name, value] : same)
    if (name.rfind("identity_", 0) == 0) {
      ASSERT_TRUE(same.count(name.substr(9))) << name;
      if (std::isnan(value)) continue;
      EXPECT_DOUBLE_EQ(value, same.at(name.substr(9))) << name;
      ++compared;
    }
  EXPECT_GT(compared, 40u);
  // Re-segmented to [1, 3] on the unfiltered intensities (1..6): the original keeps values <= 3, the
  // 3-voxel mean of the same voxels reaches above 3 (its neighbours were not re-segmented away).
  const auto features = by_name(vbiopsy::encoders::radiomics::extract_features(
      image, mask,
      settings_from("[setting]\ndiscretisation = none\nresegmentRange = 1, 3\n[filter.mean3]\nfilter = mean\n"
                    "support = 3\npadding = nearest\n[features]\nfamilies = stats\n")));
  EXPECT_LE(features.at("stats_maximum_intensity"), 3.0);
  EXPECT_GT(features.at("mean3_stats_maximum_intensity"), 3.0);
  // The settings' canonical text carries the filter (the cache key), and reads back to itself.
  const std::string text = vbiopsy::encoders::radiomics::write_settings(
      settings_from("[filter.laws]\nfilter = laws\nkernel = L5E5E5\nrotation_pooling = max\nenergy_distance = 7\n"));
  EXPECT_NE(text.find("[filter.laws]\nfilter = laws\n"), std::string::npos) << text;
  EXPECT_EQ(vbiopsy::encoders::radiomics::write_settings(settings_from(text)), text);
  EXPECT_THROW(settings_from("[filter.Bad-Name]\nfilter = mean\nsupport = 3\n"), vbiopsy::core::Error);
}

TEST(Ibsi2ImageTypes, EveryPhaseOneConfigurationWritesBackToItself) {
  for (const auto& entry : fs::directory_iterator(kConfigs)) {
    const auto spec = read_filter_spec(entry.path());
    std::vector<std::pair<std::string, std::string>> pairs;
    std::istringstream lines(write_filter_spec(spec));
    for (std::string line; std::getline(lines, line);) {
      const auto eq = line.find(" = ");
      pairs.emplace_back(line.substr(0, eq), line.substr(eq + 3));
    }
    EXPECT_EQ(write_filter_spec(filter_spec_from(pairs, "test")), write_filter_spec(spec)) << entry.path();
  }
}

TEST(Ibsi2Phase2, TheScriptRunsEveryConfigurationAndCountsTheValuesWithinTolerance) {
  // The CT phantom of phase 2 is not distributed; on the IBSI 1 digital phantom every configuration
  // must still run and every one of the 324 reference values be compared (few can agree).
  const fs::path phantom = fs::path(VBIOPSY_TEST_DATA) / "ibsi_digital_phantom";
  const fs::path out = fs::temp_directory_path() / ("ibsi2_phase2_" + std::to_string(::getpid()) + ".txt");
  const std::string command = "VBIOPSY=" + std::string(VBIOPSY_BIN_DIR) + "/vbiopsy bash " +
                              (kConfigs.parent_path().parent_path() / "ibsi2_phase2.sh").string() + " " +
                              (phantom / "image.nii.gz").string() + " " + (phantom / "mask.nii.gz").string() + " > " +
                              out.string();
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(out);
  std::string line, last;
  size_t compared = 0;
  while (std::getline(in, line)) {
    if (line.find(" ok") != std::string::npos || line.find("OUTSIDE") != std::string::npos) ++compared;
    EXPECT_EQ(line.find("missing"), std::string::npos) << line;
    last = line;
  }
  EXPECT_EQ(compared, 324u);
  EXPECT_TRUE(std::regex_search(last, std::regex(R"(^IBSI 2 phase 2: \d+ of 324 reference values within tolerance$)")))
      << last;
  fs::remove(out);
}

TEST(Ibsi2Filters, PaddingDefinesTheValuesBeyondTheEdge) {
  // n = 4: indices -3..6 as each boundary condition reads them.
  const std::vector<long> constant = {-1, -1, -1, 0, 1, 2, 3, -1, -1, -1}, nearest = {0, 0, 0, 0, 1, 2, 3, 3, 3, 3},
                          periodic = {1, 2, 3, 0, 1, 2, 3, 0, 1, 2}, mirror = {2, 1, 0, 0, 1, 2, 3, 3, 2, 1};
  for (long i = -3; i <= 6; ++i) {
    EXPECT_EQ(source_index(i, 4, Padding::kConstant), constant[size_t(i + 3)]);
    EXPECT_EQ(source_index(i, 4, Padding::kNearest), nearest[size_t(i + 3)]);
    EXPECT_EQ(source_index(i, 4, Padding::kPeriodic), periodic[size_t(i + 3)]);
    EXPECT_EQ(source_index(i, 4, Padding::kMirror), mirror[size_t(i + 3)]);
  }
  EXPECT_EQ(source_index(-9, 4, Padding::kMirror), 0);  // beyond one reflection
}

// The determinant of the orientation's signed permutation matrix.
int determinant(const Rotation& r) {
  int sign = 1;
  for (size_t a = 0; a < 3; ++a) {
    if (r.flip[a]) sign = -sign;
    for (size_t b = a + 1; b < 3; ++b)
      if (r.axes[a] > r.axes[b]) sign = -sign;
  }
  return sign;
}

TEST(Ibsi2Filters, RightAngleRotationsAreTheCubesAndEachIsUndone) {
  vbiopsy::core::Geometry g;
  g.size = {3, 4, 5};
  Grid grid(g);
  for (size_t i = 0; i < grid.voxels.size(); ++i) grid.voxels[i] = double(i);
  for (const auto& [dimensions, count] : std::vector<std::pair<int, size_t>>{{3, 24}, {2, 4}}) {
    const auto all = right_angle_rotations(dimensions);
    EXPECT_EQ(all.size(), count);
    std::set<std::vector<double>> distinct;
    for (const auto& r : all) {
      EXPECT_EQ(determinant(r), 1);
      if (dimensions == 2) {
        EXPECT_TRUE(r.axes[2] == 2 && !r.flip[2]);
      }
      const Grid turned = rotate(grid, r);
      distinct.insert(turned.voxels);
      EXPECT_EQ(unrotate(turned, r).voxels, grid.voxels);
    }
    EXPECT_EQ(distinct.size(), count);
    EXPECT_EQ(all.front().axes, (std::array<int, 3>{0, 1, 2}));
  }
}

TEST(Ibsi2Filters, WaveletFiltersAreOrthonormal) {
  for (const char* name : {"haar", "db2", "db3", "db4", "coif1"}) {
    const auto low = wavelet_low_pass(name), high = wavelet_high_pass(low);
    double sum = 0;
    for (double h : low) sum += h;
    EXPECT_NEAR(sum, std::sqrt(2.0), 1e-9) << name;
    for (size_t shift = 0; shift < low.size(); shift += 2) {
      double ll = 0, lh = 0;
      for (size_t k = 0; k + shift < low.size(); ++k) {
        ll += low[k] * low[k + shift];
        lh += low[k] * high[k + shift];
      }
      EXPECT_NEAR(ll, shift == 0 ? 1.0 : 0.0, 1e-9) << name << " shift " << shift;
      EXPECT_NEAR(lh, 0.0, 1e-9) << name << " shift " << shift;
    }
  }
}

TEST(Ibsi2Filters, SettingsErrorsNameTheFileAndTheKey) {
  const fs::path dir = fs::temp_directory_path() / ("ibsi2_settings_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto expect_error = [&](const std::string& text, const std::string& expected) {
    const fs::path file = dir / "f.ini";
    std::ofstream(file) << text;
    try {
      read_filter_spec(file);
      ADD_FAILURE() << "no error for " << text;
    } catch (const vbiopsy::core::Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
  };
  expect_error("[filter]\nfilter = blur\n", "'blur' is not one of");
  expect_error("[filter]\nfilter = mean\nsupport = 4\n", "support: '4' is not odd");
  expect_error("[filter]\nfilter = mean\n", "support is required");
  expect_error("[filter]\nfilter = mean\nsupport = 3\nkernel = L5S5\n", "kernel does not apply to filter = mean");
  expect_error("[filter]\nfilter = laws\nkernel = L5X5\n", "Laws kernel 'L5X5'");
  expect_error("[filter]\nfilter = log\nsigma_mm = -1\n", "sigma_mm: '-1' must be positive");
  expect_error("[filter]\nfilter = mean\nsupport = 3\npadding = wrap\n", "padding 'wrap'");
  expect_error("[filter]\nfilter = laws\ndimensions = 2\nkernel = E5L5S5\n",
               "dimensions = 2 contradicts kernel E5L5S5");
  expect_error("[filter]\nfilter = wavelet\nwavelet = db9\nbands = LH\n", "wavelet 'db9' is not supported");
  expect_error("[filter]\nfilter = wavelet\nwavelet = db2\nbands = LXH\n", "'LXH' is not one L or H per axis");
  expect_error("[filter]\nfilter = gabor\nsigma_mm = 1\nwavelength_mm = 2\ndimensions = 3\n",
               "dimensions does not apply to filter = gabor");
  expect_error("[filter]\nfilter = log\nsigma_mm = 1\ndimensions = 2\nriesz_order = 0,0,1\n", "z order");
  fs::remove_all(dir);
}

}  // namespace
