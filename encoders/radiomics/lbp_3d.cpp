#include "encoders/radiomics/lbp_3d.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <map>
#include <numbers>

#include "core/error.h"
#include "encoders/radiomics/cubic_spline.h"

namespace vbiopsy::encoders::radiomics {
namespace {

using Vertex = std::array<double, 3>;

// P(n, m)(x) for 0 <= m <= n with the Condon-Shortley phase (-1)^m, as scipy's lpmv.
double associated_legendre(int n, int m, double x) {
  const double s = std::sqrt(std::max(0.0, 1 - x * x));
  double p_mm = 1;  // P(m, m) = (-1)^m (2m - 1)!! s^m
  for (int k = 1; k <= m; ++k) p_mm *= -(2 * k - 1) * s;
  if (n == m) return p_mm;
  double previous = p_mm, current = x * (2 * m + 1) * p_mm;  // P(m + 1, m)
  for (int l = m + 2; l <= n; ++l) {
    const double next = ((2 * l - 1) * x * current - (l + m - 1) * previous) / (l - m);
    previous = current;
    current = next;
  }
  return current;
}

// scipy.special.sph_harm(m, n, azimuth, polar).
std::complex<double> spherical_harmonic(int m, int n, double azimuth, double polar) {
  const int am = std::abs(m);
  double ratio = 1;  // (n - |m|)! / (n + |m|)!
  for (int k = n - am + 1; k <= n + am; ++k) ratio /= k;
  double value = std::sqrt((2 * n + 1) / (4 * std::numbers::pi) * ratio) * associated_legendre(n, am, std::cos(polar));
  if (m < 0 && am % 2 == 1) value = -value;
  return value * std::polar(1.0, m * azimuth);
}

// A sample as scipy stores it in the image's type.
double stored(double value, SampleType type) {
  switch (type) {
    case SampleType::kDouble:
      return value;
    case SampleType::kFloat:
      return double(static_cast<float>(value));
    case SampleType::kSigned:
      return std::trunc(value > 0 ? value + 0.5 : value - 0.5);
    case SampleType::kUnsigned:
      return value > 0 ? std::trunc(value + 0.5) : 0.0;
  }
  return value;
}

// scipy.stats.kurtosis (Fisher, biased): NaN when the variance vanishes against the mean.
double excess_kurtosis(const std::vector<double>& x) {
  double mean = 0;
  for (double v : x) mean += v;
  mean /= double(x.size());
  double m2 = 0, m4 = 0;
  for (double v : x) {
    const double d2 = (v - mean) * (v - mean);
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= double(x.size());
  m4 /= double(x.size());
  const double resolution = 1e-15 * mean;
  if (m2 <= resolution * resolution) return std::numeric_limits<double>::quiet_NaN();
  return m4 / (m2 * m2) - 3;
}

}  // namespace

SampleType sample_type_of(const std::string& component) {
  if (component == "float") return SampleType::kFloat;
  if (component == "double") return SampleType::kDouble;
  if (component.rfind("unsigned", 0) == 0) return SampleType::kUnsigned;
  return SampleType::kSigned;
}

std::vector<Vertex> icosphere(int subdivisions, double radius) {
  const double t = (1 + std::sqrt(5.0)) / 2, unit = std::sqrt(2 + t);
  std::vector<Vertex> vertices = {{-1, t, 0},  {1, t, 0},  {-1, -t, 0}, {1, -t, 0}, {0, -1, t},  {0, 1, t},
                                  {0, -1, -t}, {0, 1, -t}, {t, 0, -1},  {t, 0, 1},  {-t, 0, -1}, {-t, 0, 1}};
  for (auto& v : vertices)
    for (double& c : v) c /= unit;
  std::vector<std::array<size_t, 3>> faces = {{0, 11, 5}, {0, 5, 1},  {0, 1, 7},   {0, 7, 10}, {0, 10, 11},
                                              {1, 5, 9},  {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
                                              {3, 9, 4},  {3, 4, 2},  {3, 2, 6},   {3, 6, 8},  {3, 8, 9},
                                              {4, 9, 5},  {2, 4, 11}, {6, 2, 10},  {8, 6, 7},  {9, 8, 1}};
  for (int s = 0; s < subdivisions; ++s) {
    std::map<std::pair<size_t, size_t>, size_t> midpoints;
    auto midpoint = [&](size_t a, size_t b) {
      const auto key = std::minmax(a, b);
      auto [it, added] = midpoints.try_emplace(key, vertices.size());
      if (added)
        vertices.push_back({(vertices[a][0] + vertices[b][0]) / 2, (vertices[a][1] + vertices[b][1]) / 2,
                            (vertices[a][2] + vertices[b][2]) / 2});
      return it->second;
    };
    std::vector<std::array<size_t, 3>> finer;
    for (const auto& [a, b, c] : faces) {
      const size_t ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
      for (const std::array<size_t, 3>& face :
           {std::array{a, ab, ca}, std::array{b, bc, ab}, std::array{c, ca, bc}, std::array{ab, bc, ca}})
        finer.push_back(face);
    }
    faces = std::move(finer);
    for (auto& v : vertices) {
      const double norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      for (double& c : v) c *= radius / norm;
    }
  }
  return vertices;
}

std::vector<std::pair<std::string, core::Image>> local_binary_pattern_3d(const core::Image& image,
                                                                         const core::Mask& where,
                                                                         const Lbp3dSettings& s) {
  if (s.levels < 1 || s.levels > 10) core::fail("lbp3DLevels ", s.levels, " must be from 1 to 10");
  if (!(s.icosphere_radius > 0) || !std::isfinite(s.icosphere_radius))
    core::fail("lbp3DIcosphereRadius ", s.icosphere_radius, " must be a positive number of voxels");
  if (s.icosphere_subdivision < 0 || s.icosphere_subdivision > 5)
    core::fail("lbp3DIcosphereSubdivision ", s.icosphere_subdivision, " must be from 0 to 5");
  // trimesh applies the radius only while subdividing: with no subdivision PyRadiomics samples at
  // 1 voxel but takes angles as if at the radius (NaN beyond 1), so only radius 1 means anything.
  if (s.icosphere_subdivision == 0 && s.icosphere_radius != 1)
    core::fail(
        "lbp3DIcosphereSubdivision 0 needs lbp3DIcosphereRadius 1 (PyRadiomics ignores the radius without "
        "subdivision), got ",
        s.icosphere_radius);
  const auto vertices = icosphere(s.icosphere_subdivision, s.icosphere_radius);
  // Harmonics (n, m) for n < levels, m = -n ... n, at each vertex. Vertex columns 0, 1, 2 offset
  // the array axes z, y, x (PyRadiomics adds them to numpy's [z, y, x] indices).
  std::vector<int> degree;
  std::vector<std::vector<std::complex<double>>> harmonics(vertices.size());
  for (int n = 0; n < s.levels; ++n)
    for (int m = -n; m <= n; ++m) degree.push_back(n);
  for (size_t v = 0; v < vertices.size(); ++v) {
    const double polar = std::acos(vertices[v][2] / s.icosphere_radius);
    const double azimuth = std::atan2(vertices[v][1], vertices[v][0]);
    for (int n = 0; n < s.levels; ++n)
      for (int m = -n; m <= n; ++m) harmonics[v].push_back(spherical_harmonic(m, n, polar, azimuth));
  }
  const CubicSpline spline(image);
  const auto& g = image.geometry;
  std::vector<core::Image> levels(size_t(s.levels), core::Image(g));
  core::Image kurtosis(g);
  std::vector<double> samples(vertices.size());
  std::vector<std::complex<double>> c(degree.size());
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x) {
        if (!where.at(x, y, z)) continue;
        const double centre = image.at(x, y, z);
        for (size_t v = 0; v < vertices.size(); ++v)
          samples[v] = stored(
              spline.at(double(x) + vertices[v][2], double(y) + vertices[v][1], double(z) + vertices[v][0]), s.samples);
        std::fill(c.begin(), c.end(), 0.0);
        for (size_t v = 0; v < vertices.size(); ++v)
          if (samples[v] >= centre)
            for (size_t h = 0; h < c.size(); ++h) c[h] += harmonics[v][h];
        for (int n = 0; n < s.levels; ++n) {
          std::complex<double> sum_of_squares = 0;
          for (size_t v = 0; v < vertices.size(); ++v) {
            std::complex<double> along = 0;
            for (size_t h = 0; h < c.size(); ++h)
              if (degree[h] == n) along += c[h] * harmonics[v][h];
            sum_of_squares += along * along;
          }
          levels[size_t(n)].at(x, y, z) = float(std::sqrt(sum_of_squares).real());
        }
        kurtosis.at(x, y, z) = float(excess_kurtosis(samples));
      }
  std::vector<std::pair<std::string, core::Image>> out;
  for (int n = 0; n < s.levels; ++n) out.emplace_back("lbp-3D-m" + std::to_string(n + 1), std::move(levels[size_t(n)]));
  out.emplace_back("lbp-3D-k", std::move(kurtosis));
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
