#include "encoders/radiomics/shape2d.h"

#include <Eigen/Dense>
#include <cmath>

#include "core/error.h"

namespace vbiopsy::encoders::radiomics {

FeatureList shape2d_features(const Roi& roi) {
  if (roi.size[2] != 1) core::fail("2D shape needs a single-slice region; this one spans ", roi.size[2], " slices");
  const long nx = long(roi.size[0]), ny = long(roi.size[1]);
  const double sx = roi.spacing[0], sy = roi.spacing[1];
  auto inside = [&](long x, long y) {
    return x >= 0 && y >= 0 && x < nx && y < ny && roi.morphological[size_t(x + nx * y)];
  };
  // Marching squares over the cells between pixel centres (padded by one pixel). Each cell's
  // inside area and contour length follow from its corner pattern; a cell with diagonal inside
  // corners keeps them apart (two cut corners).
  double area = 0, perimeter = 0;
  std::vector<std::array<double, 2>> vertices;
  const double corner_cut = std::hypot(sx / 2, sy / 2);
  for (long y = -1; y < ny; ++y)
    for (long x = -1; x < nx; ++x) {
      const bool a = inside(x, y), b = inside(x + 1, y), c = inside(x + 1, y + 1), d = inside(x, y + 1);
      const int count = a + b + c + d;
      if (count == 0) continue;
      if (count == 4) {
        area += sx * sy;
        continue;
      }
      // Midpoints of the edges whose corners differ.
      if (a != b) vertices.push_back({(x + 0.5) * sx, y * sy});
      if (b != c) vertices.push_back({(x + 1) * sx, (y + 0.5) * sy});
      if (c != d) vertices.push_back({(x + 0.5) * sx, (y + 1) * sy});
      if (d != a) vertices.push_back({x * sx, (y + 0.5) * sy});
      if (count == 1) {
        area += sx * sy / 8;
        perimeter += corner_cut;
      } else if (count == 3) {
        area += sx * sy * 7 / 8;
        perimeter += corner_cut;
      } else if (a == c) {  // diagonal pair: two separate corners
        area += sx * sy / 4;
        perimeter += 2 * corner_cut;
      } else {  // two adjacent corners: half the cell, cut straight across
        area += sx * sy / 2;
        perimeter += (a == b) ? sx : sy;
      }
    }
  double diameter = 0;
  for (size_t i = 0; i < vertices.size(); ++i)
    for (size_t j = i + 1; j < vertices.size(); ++j)
      diameter = std::max(diameter, std::hypot(vertices[i][0] - vertices[j][0], vertices[i][1] - vertices[j][1]));
  // PCA of the pixel centres (population covariance, as PyRadiomics).
  Eigen::Vector2d mean = Eigen::Vector2d::Zero();
  std::vector<Eigen::Vector2d> points;
  for (long y = 0; y < ny; ++y)
    for (long x = 0; x < nx; ++x)
      if (inside(x, y)) {
        points.emplace_back(x * sx, y * sy);
        mean += points.back();
      }
  mean /= double(points.size());
  Eigen::Matrix2d covariance = Eigen::Matrix2d::Zero();
  for (auto& p : points) covariance += (p - mean) * (p - mean).transpose();
  covariance /= double(points.size());
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> solver(covariance);
  const double minor = solver.eigenvalues()[0], major = solver.eigenvalues()[1];
  const double pixel_surface = double(points.size()) * sx * sy;
  auto f = [](const char* name, double value) { return Feature{"shape2D", name, "", "", value}; };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {f("MeshSurface", area),
          f("PixelSurface", pixel_surface),
          f("Perimeter", perimeter),
          f("PerimeterSurfaceRatio", perimeter / area),
          f("Sphericity", 2 * std::sqrt(M_PI * area) / perimeter),
          f("MaximumDiameter", diameter),
          f("MajorAxisLength", 4 * std::sqrt(major)),
          f("MinorAxisLength", 4 * std::sqrt(std::max(0.0, minor))),
          f("Elongation", major > 0 ? std::sqrt(std::max(0.0, minor) / major) : nan)};
}

}  // namespace vbiopsy::encoders::radiomics
