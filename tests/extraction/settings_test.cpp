// The canonical settings text is the key of every cached feature: each key the reader knows must
// change it (else a changed setting would serve stale features), and it must read back to itself.
#include "extraction/settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <unistd.h>

#include "core/files.h"

namespace vbiopsy::extraction {
namespace {
namespace fs = std::filesystem;

// A value other than the default for every key, as a user would write it.
const std::map<std::string, std::string> kExamples = {{"setting.label", "2"},
                                                      {"setting.segment", "Tumour"},
                                                      {"setting.discretisation", "fbn"},
                                                      {"setting.binWidth", "10"},
                                                      {"setting.binCount", "16"},
                                                      {"setting.maxGreyLevels", "500"},
                                                      {"setting.resegmentRange", "-3, 3"},
                                                      {"setting.resegmentMode", "sigma"},
                                                      {"setting.resampledPixelSpacing", "2, 2, 2"},
                                                      {"setting.interpolator", "sitkLinear"},
                                                      {"setting.voxelArrayShift", "10"},
                                                      {"setting.force2D", "true"},
                                                      {"setting.weightingNorm", "no_weighting"},
                                                      {"setting.normalize", "true"},
                                                      {"setting.normalizeScale", "100"},
                                                      {"setting.padDistance", "3"},
                                                      {"setting.roundIntensities", "true"},
                                                      {"setting.lbp2DRadius", "2"},
                                                      {"setting.lbp2DSamples", "16"},
                                                      {"setting.lbp2DMethod", "ror"},
                                                      {"imageType.LBP2D", "true"},
                                                      {"imageType.LBP3D", "true"},
                                                      {"setting.lbp3DLevels", "3"},
                                                      {"setting.lbp3DIcosphereRadius", "2"},
                                                      {"setting.lbp3DIcosphereSubdivision", "2"},
                                                      {"imageType.Original", "false"},
                                                      {"imageType.LoG", "1, 2.5"},
                                                      {"imageType.Wavelet", "haar"},
                                                      {"imageType.Square", "true"},
                                                      {"imageType.SquareRoot", "true"},
                                                      {"imageType.Logarithm", "true"},
                                                      {"imageType.Exponential", "true"},
                                                      {"imageType.Gradient", "true"},
                                                      {"features.families", "glcm, stats"},
                                                      {"regions.rings_mm", "2, 4"},
                                                      {"regions.retest", "dilate"},
                                                      {"mri.sequences", "t2"},
                                                      {"mri.kinetics", "true"},
                                                      {"mri.register", "true"},
                                                      {"mri.tofts", "true"},
                                                      {"mri.extended", "false"},
                                                      {"mri.t10_s", "1.2"},
                                                      {"mri.tr_s", "0.004"},
                                                      {"mri.flip_angle_deg", "12"},
                                                      {"mri.relaxivity", "4"},
                                                      {"mri.injection_time_s", "20"},
                                                      {"habitats.enabled", "true"},
                                                      {"habitats.maps", "pe, ser"},
                                                      {"habitats.min", "3"},
                                                      {"habitats.max", "5"},
                                                      {"habitats.fixed", "4"},
                                                      {"habitats.criterion", "silhouette"},
                                                      {"habitats.seed", "7"},
                                                      {"habitats.ring_mm", "2"}};

class CanonicalSettings : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }
  CohortExtractionSettings read_text(const std::string& text) {
    const fs::path file = dir_ / "settings.ini";
    core::write_file_atomic(file, text);
    return read_cohort_extraction_settings(file);
  }
  // The settings of `text`, checked to read back from their canonical text to the same text.
  std::string canonical(const std::string& text) {
    const std::string written = write_cohort_settings(read_text(text));
    EXPECT_EQ(write_cohort_settings(read_text(written)), written) << "from:\n" << text;
    return written;
  }
  const fs::path dir_ = fs::temp_directory_path() / ("vbiopsy_settings_" + std::to_string(::getpid()));
};

std::string ini(const std::string& dotted_key, const std::string& value) {
  const auto dot = dotted_key.find('.');
  return "[" + dotted_key.substr(0, dot) + "]\n" + dotted_key.substr(dot + 1) + " = " + value + "\n";
}

TEST_F(CanonicalSettings, EveryKeyTheReaderKnowsHasAnExample) {
  std::set<std::string> known;
  for (const auto& key : cohort_setting_keys()) {
    known.insert(key);
    EXPECT_TRUE(kExamples.count(key)) << key << ": add an example value, and make write_cohort_settings carry it";
  }
  for (const auto& [key, value] : kExamples) EXPECT_TRUE(known.count(key)) << key << " is not a key the reader knows";
}

TEST_F(CanonicalSettings, EveryKeyChangesTheTextAndOnlyHabitatKeysLeaveTheRegionKey) {
  const CohortExtractionSettings defaults = read_text("");
  const std::string default_text = canonical("");
  const std::string default_region_text = write_cohort_settings(defaults, false);
  for (const auto& [key, value] : kExamples) {
    const std::string text = canonical(ini(key, value));
    EXPECT_NE(text, default_text) << key << " = " << value << " does not change the canonical settings";
    const std::string region_text = write_cohort_settings(read_text(ini(key, value)), false);
    if (key.rfind("habitats.", 0) == 0)
      EXPECT_EQ(region_text, default_region_text) << key;
    else
      EXPECT_NE(region_text, default_region_text) << key << " does not change the key of cached region features";
  }
}

TEST_F(CanonicalSettings, EveryNonDefaultValueAtOnceReadsBack) {
  std::map<std::string, std::string> sections;
  for (const auto& [key, value] : kExamples) {
    if (key == "setting.binWidth" || key == "setting.binCount" || key == "setting.segment")
      continue;  // exclusive with others
    const auto dot = key.find('.');
    sections[key.substr(0, dot)] += key.substr(dot + 1) + " = " + value + "\n";
  }
  std::string text;
  for (const auto& [section, lines] : sections) text += "[" + section + "]\n" + lines;
  const auto settings = read_text(canonical(text));
  EXPECT_EQ(settings.radiomics.label, 2);
  ASSERT_EQ(settings.radiomics.filters.log_sigma.size(), 2u);
  EXPECT_EQ(settings.radiomics.filters.log_sigma[1].mm, 2.5);
  EXPECT_EQ(settings.radiomics.filters.log_sigma[1].name(), "2-5");
  EXPECT_EQ(settings.rings_mm, (std::vector<double>{2, 4}));
  EXPECT_EQ(settings.habitat_options.seed, 7u);
  EXPECT_EQ(settings.acquisition.tr_s, 0.004);
  EXPECT_TRUE(settings.radiomics.merge_directions);
}

TEST_F(CanonicalSettings, TheShippedExtractionSettingsReadBackToThemselves) {
  size_t files = 0;
  for (const fs::path& folder :
       {fs::path(VBIOPSY_SOURCE_DIR) / "experiments", fs::path(VBIOPSY_SOURCE_DIR) / "experiments" / "recipes"})
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.path().filename().string().ends_with("_extract.ini")) {
        const std::string written = write_cohort_settings(read_cohort_extraction_settings(entry.path()));
        EXPECT_EQ(write_cohort_settings(read_text(written)), written) << entry.path();
        ++files;
      }
  EXPECT_GE(files, 4u);
}

}  // namespace
}  // namespace vbiopsy::extraction
