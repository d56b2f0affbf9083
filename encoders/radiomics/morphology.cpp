#include "encoders/radiomics/morphology.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

extern "C" {
#include <libqhull_r/qhull_ra.h>
}

#include "core/error.h"
#include "encoders/radiomics/autocorrelation.h"
#include "encoders/radiomics/mesh.h"

namespace vbiopsy::encoders::radiomics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Hull {
  double volume = kNaN, area = kNaN;
  std::vector<std::array<double, 3>> points;  // hull vertices
};

// Convex hull with Qhull ("Qt": triangulated output; degenerate inputs give NaN, never a crash).
Hull convex_hull(const std::vector<std::array<double, 3>>& points) {
  Hull hull;
  if (points.size() < 4) return hull;
  std::vector<coordT> coordinates;
  coordinates.reserve(points.size() * 3);
  for (auto& p : points) coordinates.insert(coordinates.end(), p.begin(), p.end());
  qhT context;
  qhT* qh = &context;
  QHULL_LIB_CHECK
  qh_zero(qh, nullptr);
  char options[] = "qhull Qt";
  const int status = qh_new_qhull(qh, 3, int(points.size()), coordinates.data(), False, options, nullptr, nullptr);
  if (status == 0) {
    qh_getarea(qh, qh->facet_list);
    hull.volume = qh->totvol;
    hull.area = qh->totarea;
    vertexT* vertex;
    FORALLvertices { hull.points.push_back({vertex->point[0], vertex->point[1], vertex->point[2]}); }
  }
  qh_freeqhull(qh, !qh_ALL);
  int long_left = 0, short_left = 0;
  qh_memfreeshort(qh, &long_left, &short_left);
  return hull;
}

// Surface area of an ellipsoid with semi-axes a >= b >= c (IBSI's Legendre series, 20 terms).
// The terms (alpha beta)^nu P_nu(x), x = (alpha^2 + beta^2) / (2 alpha beta), are built by the
// Legendre recurrence multiplied through by (alpha beta)^nu, which stays finite for spheroids
// (alpha beta = 0).
double ellipsoid_area(double a, double b, double c) {
  const double alpha2 = std::max(0.0, 1 - b * b / (a * a));
  const double beta2 = std::max(0.0, 1 - c * c / (a * a));
  const double t = std::sqrt(alpha2 * beta2), xt = (alpha2 + beta2) / 2;
  double q_prev = 1, q = xt;  // Q_0, Q_1
  double sum = 1 + q / (1 - 4.0);
  for (int nu = 2; nu <= 20; ++nu) {
    const double q_next = ((2 * nu - 1) * xt * q - (nu - 1) * t * t * q_prev) / nu;
    q_prev = q;
    q = q_next;
    sum += q / (1 - 4.0 * nu * nu);
  }
  return 4 * M_PI * a * b * sum;
}

}  // namespace

FeatureList morphology(const Roi& roi, bool with_autocorrelation, Mesh* mesh_out, MeshStyle style) {
  Mesh local_mesh;
  Mesh& mesh = mesh_out ? *mesh_out : local_mesh;
  mesh = mesh_of_mask(roi.morphological, roi.size, roi.spacing, style);
  const double v = mesh.volume, a = mesh.area;
  const double voxel_volume = roi.spacing[0] * roi.spacing[1] * roi.spacing[2];

  // Voxel centres of the morphological mask and of the intensity mask, in mm.
  Eigen::Vector3d geometric_centre = Eigen::Vector3d::Zero(), weighted_centre = Eigen::Vector3d::Zero();
  std::vector<Eigen::Vector3d> positions;
  double morph_count = 0, intensity_sum = 0, roi_count = 0;
  for (size_t z = 0; z < roi.size[2]; ++z)
    for (size_t y = 0; y < roi.size[1]; ++y)
      for (size_t x = 0; x < roi.size[0]; ++x) {
        const size_t i = roi.index(x, y, z);
        const Eigen::Vector3d p(x * roi.spacing[0], y * roi.spacing[1], z * roi.spacing[2]);
        if (roi.morphological[i]) {
          positions.push_back(p);
          geometric_centre += p;
          morph_count += 1;
        }
        if (roi.in_roi[i]) {
          weighted_centre += roi.intensity[i] * p;
          intensity_sum += roi.intensity[i];
          roi_count += 1;
        }
      }
  geometric_centre /= morph_count;
  const double com_shift = intensity_sum != 0 ? (geometric_centre - weighted_centre / intensity_sum).norm() : kNaN;

  Eigen::Matrix3d covariance = Eigen::Matrix3d::Zero();
  for (auto& p : positions) covariance += (p - geometric_centre) * (p - geometric_centre).transpose();
  // Sample covariance, as the IBSI reference implementation; undefined for a single voxel.
  covariance /= morph_count > 1 ? morph_count - 1 : kNaN;
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> solver(covariance);
  const Eigen::Vector3d lambda = solver.eigenvalues();  // ascending
  const double l_major = lambda[2], l_minor = lambda[1], l_least = lambda[0];

  std::vector<std::array<double, 3>> hull_candidates;
  for (size_t i = 0; i < mesh.vertices.size(); ++i)
    if (mesh.line_end[0][i] && mesh.line_end[1][i] && mesh.line_end[2][i]) hull_candidates.push_back(mesh.vertices[i]);
  const Hull hull = convex_hull(hull_candidates);
  double diameter = 0;
  const auto& far_points = hull.points.empty() ? mesh.vertices : hull.points;
  for (size_t i = 0; i < far_points.size(); ++i)
    for (size_t j = i + 1; j < far_points.size(); ++j) {
      const double dx = far_points[i][0] - far_points[j][0], dy = far_points[i][1] - far_points[j][1],
                   dz = far_points[i][2] - far_points[j][2];
      diameter = std::max(diameter, dx * dx + dy * dy + dz * dz);
    }
  diameter = std::sqrt(diameter);

  std::array<double, 3> lo{INFINITY, INFINITY, INFINITY}, hi{-INFINITY, -INFINITY, -INFINITY};
  for (auto& p : mesh.vertices)
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], p[k]);
      hi[k] = std::max(hi[k], p[k]);
    }
  const double ex = hi[0] - lo[0], ey = hi[1] - lo[1], ez = hi[2] - lo[2];
  const double aabb_volume = ex * ey * ez, aabb_area = 2 * (ex * ey + ex * ez + ey * ez);

  const double sa = 2 * std::sqrt(l_major), sb = 2 * std::sqrt(l_minor), sc = 2 * std::sqrt(l_least);
  const double aee_volume = 4 * M_PI / 3 * sa * sb * sc;
  const double aee_area = ellipsoid_area(sa, sb, sc);

  // Moran's I and Geary's C over the intensity mask, weights 1 / distance (mm).
  double moran = kNaN, geary = kNaN;
  if (with_autocorrelation) {
    const Autocorrelation autocorrelation = spatial_autocorrelation(roi);
    moran = autocorrelation.moran;
    geary = autocorrelation.geary;
  }

  auto f = [](const char* name, const char* id, double value) { return Feature{"morph", name, id, "", value}; };
  const double sphere = std::cbrt(36 * M_PI * v * v);
  return {
      f("volume_mesh", "RNU0", v), f("volume_voxel_counting", "YEKZ", morph_count * voxel_volume),
      f("surface_area_mesh", "C0JK", a), f("surface_to_volume_ratio", "2PR5", a / v),
      f("compactness_1", "SKGS", v / (std::sqrt(M_PI) * std::pow(a, 1.5))),
      f("compactness_2", "BQWJ", 36 * M_PI * v * v / (a * a * a)), f("spherical_disproportion", "KRCK", a / sphere),
      f("sphericity", "QCFX", sphere / a), f("asphericity", "25C7", std::cbrt(a * a * a / (36 * M_PI * v * v)) - 1),
      f("centre_of_mass_shift", "KLMA", com_shift), f("maximum_3d_diameter", "L0JK", diameter),
      f("major_axis_length", "TDIC", 4 * std::sqrt(l_major)), f("minor_axis_length", "P9VJ", 4 * std::sqrt(l_minor)),
      f("least_axis_length", "7J51", 4 * std::sqrt(l_least)),
      f("elongation", "Q3CK", l_major > 0 ? std::sqrt(l_minor / l_major) : kNaN),
      f("flatness", "N17B", l_major > 0 ? std::sqrt(l_least / l_major) : kNaN),
      f("volume_density_axis_aligned_bounding_box", "PBX1", v / aabb_volume),
      f("area_density_axis_aligned_bounding_box", "R59B", a / aabb_area),
      // A flat region (one slice thick) has no enclosing ellipsoid volume: NaN, not infinity.
      f("volume_density_approximate_enclosing_ellipsoid", "6BDE", aee_volume > 0 ? v / aee_volume : kNaN),
      f("area_density_approximate_enclosing_ellipsoid", "RDD2", aee_volume > 0 ? a / aee_area : kNaN),
      f("volume_density_convex_hull", "R3ER", v / hull.volume), f("area_density_convex_hull", "7T7F", a / hull.area),
      f("integrated_intensity", "99N0", intensity_sum / roi_count * v), f("moran_s_i_index", "N365", moran),
      f("geary_s_c_measure", "NPT7", geary)};
}

}  // namespace vbiopsy::encoders::radiomics
