#include "encoders/radiomics/extractor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>

#include "core/csv.h"
#include "core/error.h"
#include "core/strings.h"
#include "modalities/image_io.h"

namespace vbiopsy::encoders::radiomics {
namespace {
namespace fs = std::filesystem;
const fs::path kPhantom = fs::path(VBIOPSY_TEST_DATA) / "ibsi_digital_phantom";

// The reference manual's family titles and our family keys.
const std::map<std::string, std::string> kFamilies = {{"Morphological features", "morph"},
                                                      {"Local intensity features", "li"},
                                                      {"Intensity-based statistical features", "stats"},
                                                      {"Intensity histogram features", "ih"},
                                                      {"Intensity-volume histogram features", "ivh"},
                                                      {"Grey level co-occurrence based features", "glcm"},
                                                      {"Grey level run length based features", "glrlm"},
                                                      {"Grey level size zone based features", "glszm"},
                                                      {"Grey level distance zone based features", "gldzm"},
                                                      {"Neighbourhood grey tone difference based features", "ngtdm"},
                                                      {"Neighbouring grey level dependence based features", "ngldm"}};

// "10\ :sup:`th` intensity percentile" -> "10th_intensity_percentile"
std::string snake(std::string name) {
  name = std::regex_replace(core::to_lower(name), std::regex(R"(\\ :sup:`th`)"), "th");
  name = std::regex_replace(name, std::regex("[^a-z0-9]+"), "_");
  return core::trim(std::regex_replace(name, std::regex("^_+|_+$"), ""));
}

// Half a unit in the last printed digit: the manual prints values to 3 significant digits.
double rounding_tolerance(const std::string& printed) {
  std::string digits = printed;
  const auto e = digits.find_first_of("eE");
  int exponent = 0;
  if (e != std::string::npos) {
    exponent = std::stoi(digits.substr(e + 1));
    digits = digits.substr(0, e);
  }
  const auto dot = digits.find('.');
  const int decimals = dot == std::string::npos ? 0 : int(digits.size() - dot - 1);
  // "1490.0" is 1.49e3 printed with a spurious decimal: never tighter than 3 significant digits.
  const double value = std::abs(*core::parse_double(printed));
  const double third_digit = value > 0 ? 0.5 * std::pow(10.0, std::floor(std::log10(value)) - 2) : 0;
  return std::max(0.5 * std::pow(10.0, exponent - decimals), third_digit);
}

TEST(RadiomicsIbsi, DigitalPhantomMatchesEveryReferenceValue) {
  core::Image image = modalities::read_image(kPhantom / "image.nii.gz");
  core::Mask mask = modalities::read_mask(kPhantom / "mask.nii.gz");
  ExtractionSettings settings;  // the phantom is used as is: no discretisation
  const FeatureList features = extract_features(image, mask, settings);
  std::map<std::string, double> computed;
  for (const auto& f : features) computed[f.family + "/" + f.name + "/" + f.aggregation] = f.value;

  const auto reference = core::read_csv(kPhantom / "reference_values.csv");
  std::map<std::string, int> seen;
  size_t checked = 0;
  std::string failures;
  for (const auto& row : reference.rows) {
    const std::string family = kFamilies.at(row[0]);
    std::string name = snake(row[1]);
    if (family == "ivh" && (name == "volume_at_intensity_fraction" || name == "intensity_at_volume_fraction"))
      name += seen[name]++ == 0 ? "_10" : "_90";  // the manual lists x = 10% before x = 90%
    const std::string key = family + "/" + name + "/" + row[3];
    const double expected = *core::parse_double(row[4]);
    const double tolerance = row[5].empty() ? rounding_tolerance(row[4]) : *core::parse_double(row[5]);
    auto it = computed.find(key);
    if (it == computed.end()) {
      failures += "  missing " + key + "\n";
      continue;
    }
    ++checked;
    if (!(std::abs(it->second - expected) <= tolerance * (1 + 1e-9)))
      failures += core::concat("  ", key, ": ", it->second, ", expected ", row[4], " +- ", tolerance, "\n");
  }
  EXPECT_EQ(reference.rows.size(), 482u);
  EXPECT_EQ(checked, reference.rows.size());
  EXPECT_TRUE(failures.empty()) << failures;
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
