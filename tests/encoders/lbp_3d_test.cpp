#include "encoders/radiomics/lbp_3d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "core/csv.h"
#include "core/error.h"
#include "encoders/radiomics/cubic_spline.h"
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/filters.h"
#include "encoders/radiomics/pyradiomics.h"
#include "encoders/radiomics/settings.h"
#include "modalities/image_io.h"

namespace vbiopsy::encoders::radiomics {
namespace {

const std::filesystem::path kData = std::filesystem::path(VBIOPSY_TEST_DATA) / "pyradiomics";

TEST(CubicSpline, EqualsScipysMapCoordinatesOfOrderThree) {
  // scipy 1.10: a = (numpy.arange(210.).reshape(5, 6, 7) ** 1.5).astype(numpy.float32);
  // map_coordinates(a.astype(float), [[z], [y], [x]], order=3) -- mode "constant": 0 beyond the edges.
  core::Geometry g;
  g.size = {7, 6, 5};
  core::Image image(g);
  for (size_t i = 0; i < image.voxels.size(); ++i) image.voxels[i] = float(std::pow(double(i), 1.5));
  const CubicSpline spline(image);
  struct Point {
    double x, y, z, expected;
  };
  for (const auto& p :
       {Point{3.2, 2.5, 0.0, 94.7496890459}, Point{6.0, 0.1, 0.3, 52.6018319805}, Point{0.0, 5.0, 4.0, 2892.3046875},
        Point{5.9, 4.6, 2.7, 1845.73519774}, Point{2, -0.01, 1.5, 0}, Point{6.001, 2.2, 3.2, 0}, Point{0, 0, 0, 0}})
    EXPECT_NEAR(spline.at(p.x, p.y, p.z), p.expected, 1e-9 * std::max(1.0, p.expected))
        << p.x << "," << p.y << "," << p.z;
}

TEST(Lbp3d, TheIcosphereIsTrimeshsSubdividedIcosahedronOnTheRadius) {
  for (const auto& [subdivisions, count] : {std::pair{0, 12u}, std::pair{1, 42u}, std::pair{2, 162u}}) {
    const auto vertices = icosphere(subdivisions, 2.5);
    EXPECT_EQ(vertices.size(), count);
    const double radius = subdivisions == 0 ? 1.0 : 2.5;  // trimesh scales only while subdividing
    for (const auto& v : vertices) EXPECT_NEAR(std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]), radius, 1e-12);
  }
}

TEST(Lbp3d, SamplesAreKeptInTheImagesType) {
  EXPECT_EQ(sample_type_of("short"), SampleType::kSigned);
  EXPECT_EQ(sample_type_of("int"), SampleType::kSigned);
  EXPECT_EQ(sample_type_of("unsigned_char"), SampleType::kUnsigned);
  EXPECT_EQ(sample_type_of("float"), SampleType::kFloat);
  EXPECT_EQ(sample_type_of("double"), SampleType::kDouble);
}

TEST(Lbp3d, RefusesSettingsOutOfRange) {
  core::Geometry g;
  g.size = {4, 4, 4};
  const core::Image image(g, 1.0f);
  const core::Mask where(g, 1);
  Lbp3dSettings s;
  s.levels = 0;
  EXPECT_THROW(local_binary_pattern_3d(image, where, s), core::Error);
  s = {};
  s.icosphere_subdivision = 0;
  s.icosphere_radius = 2;  // PyRadiomics would sample at 1 voxel and take angles at 2
  EXPECT_THROW(local_binary_pattern_3d(image, where, s), core::Error);
}

// The maps at every voxel of label 1 against tools/lbp3d_reference.py (PyRadiomics' definition in
// numpy and scipy 1.10), through the image-type path that crops around the region.
void expect_maps_equal_the_reference(const std::string& name, const Lbp3dSettings& lbp, const std::string& reference) {
  const auto image = modalities::read_image(kData / (name + "_image.nrrd"));
  const auto mask = modalities::read_mask(kData / (name + "_label.nrrd"));
  FilterSettings settings;
  settings.original = false;
  settings.lbp_3d = true;
  settings.lbp_3d_settings = lbp;
  settings.lbp_3d_settings.samples = sample_type_of(modalities::stored_pixel_type(kData / (name + "_image.nrrd")));
  std::map<std::string, core::Image> maps;
  core::Mask region;
  for_each_image_type(image, mask, settings,
                      [&](size_t, const std::string& type, const core::Image& map, const core::Mask& part) {
                        maps[type] = map;
                        region = part;
                      });
  ASSERT_EQ(maps.size(), size_t(lbp.levels) + 1);
  const auto table = core::read_csv(kData / "lbp3d" / reference);
  ASSERT_GT(table.rows.size(), 400u);
  // The region's crop starts at its bounding box: the first voxel of label 1 in each axis.
  std::array<size_t, 3> lo{};
  for (int a = 0; a < 3; ++a) {
    lo[size_t(a)] = 1 << 30;
    for (const auto& row : table.rows) lo[size_t(a)] = std::min(lo[size_t(a)], size_t(std::stoul(row[size_t(a)])));
  }
  size_t compared = 0;
  for (size_t c = 3; c < table.header.size(); ++c) {
    const std::string type = "lbp-3D-" + table.header[c];
    ASSERT_TRUE(maps.count(type)) << type;
    for (const auto& row : table.rows) {
      const double expected = std::stod(row[c]);
      const double got =
          maps[type].at(std::stoul(row[0]) - lo[0], std::stoul(row[1]) - lo[1], std::stoul(row[2]) - lo[2]);
      ASSERT_NEAR(got, expected, 2e-6 * std::max(1.0, std::abs(expected)))
          << type << " at " << row[0] << "," << row[1] << "," << row[2];
      ++compared;
    }
  }
  EXPECT_EQ(compared, table.rows.size() * (size_t(lbp.levels) + 1));
}

TEST(Lbp3d, MapsEqualScipysOnBrain1WithPyRadiomicsDefaults) {
  expect_maps_equal_the_reference("brain1", Lbp3dSettings{}, "brain1_default.csv");
}

TEST(Lbp3d, MapsEqualScipysOnBrain2WithThreeLevelsOnALargerFinerSphere) {
  Lbp3dSettings s;
  s.levels = 3;
  s.icosphere_radius = 2;
  s.icosphere_subdivision = 2;
  expect_maps_equal_the_reference("brain2", s, "brain2_levels3_radius2_subdivision2.csv");
}

TEST(Lbp3d, TheImageTypesGivePyRadiomicsNinetyThreeFeaturesEach) {
  auto settings = default_settings();
  settings.filters.original = false;
  settings.filters.lbp_3d = true;
  const auto image = modalities::read_image(kData / "brain1_image.nrrd");
  const auto mask = modalities::read_mask(kData / "brain1_label.nrrd");
  std::map<std::string, size_t> counts;
  std::map<std::string, double> means;
  for (const auto& f : pyradiomics_features(image, mask, settings, "short")) {
    const std::string name = column_name(f);
    if (name.rfind("lbp-3D-", 0) != 0) continue;
    ++counts[f.family];
    if (f.name == "firstorder_Mean") means[f.family] = f.value;
  }
  EXPECT_EQ(counts, (std::map<std::string, size_t>{{"lbp-3D-k", 93}, {"lbp-3D-m1", 93}, {"lbp-3D-m2", 93}}));
  // The mean over the region of each map, from the reference values.
  const auto table = core::read_csv(kData / "lbp3d" / "brain1_default.csv");
  for (size_t c = 3; c < table.header.size(); ++c) {
    double sum = 0;
    for (const auto& row : table.rows) sum += std::stod(row[c]);
    const double expected = sum / double(table.rows.size());
    EXPECT_NEAR(means["lbp-3D-" + table.header[c]], expected, 1e-6 * std::max(1.0, std::abs(expected)))
        << table.header[c];
  }
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
