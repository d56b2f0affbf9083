#include "encoders/radiomics/pyradiomics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "core/csv.h"
#include "core/error.h"
#include "core/strings.h"
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

// Mesh-based shape features cannot match PyRadiomics' own marching cubes table to 1e-6 (README).
bool mesh_based(const std::string& name) {
  for (const char* m : {"MeshVolume", "SurfaceArea", "SurfaceVolumeRatio", "Sphericity"})
    if (name == std::string("original_shape_") + m) return true;
  return false;
}

TEST(PyRadiomicsCompat, DefaultConfigurationMatchesTheBaselineOnBrain1AndBrain2) {
  for (const std::string name : {"brain1", "brain2"}) {
    auto image = modalities::read_image(kData / (name + "_image.nrrd"));
    auto mask = modalities::read_mask(kData / (name + "_label.nrrd"));
    PyRadiomicsSettings settings;
    settings.voxel_array_shift = 2000;  // as the baseline's configuration records
    const auto features = pyradiomics_features(image, mask, settings);
    const auto expected = baseline(name);
    std::string failures;
    size_t compared = 0;
    for (const auto& f : features) {
      const std::string key = column_name(f);
      auto it = expected.find(key);
      if (it == expected.end()) {
        failures += "  no baseline value for " + key + "\n";
        continue;
      }
      const double tolerance = (mesh_based(key) ? 5e-3 : 1e-6) * std::max(1e-12, std::abs(it->second));
      ++compared;
      if (!(std::abs(f.value - it->second) <= tolerance))
        failures += core::concat("  ", key, ": ", f.value, ", baseline ", it->second, " (rel ",
                                 (f.value - it->second) / it->second, ")\n");
    }
    EXPECT_EQ(compared, expected.size()) << name;
    EXPECT_TRUE(failures.empty()) << name << ":\n" << failures;
  }
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
