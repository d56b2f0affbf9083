// Grey level co-occurrence matrix (IBSI 3.6): symmetric counts of level pairs one step apart along
// each direction, then 25 features, aggregated six ways.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "encoders/radiomics/texture.h"
#include "encoders/radiomics/texture_common.h"

namespace vbiopsy::encoders::radiomics {
namespace {
using namespace detail;

constexpr double kMaxMatrixBytes = 1024.0 * 1024.0 * 1024.0;

struct Glcm {
  int ng = 0;
  std::vector<double> counts;  // ng x ng, levels 1..ng at index level-1
  explicit Glcm(int levels) : ng(levels), counts(static_cast<size_t>(levels) * levels, 0.0) {}
  void merge(const Glcm& o) {
    for (size_t k = 0; k < counts.size(); ++k) counts[k] += o.counts[k];
  }
  double total() const {
    double t = 0;
    for (double c : counts) t += c;
    return t;
  }
  bool empty() const { return total() == 0; }
};

// Co-occurrences along direction d within slice z (z >= 0) or the whole volume (z < 0).
Glcm count(const Roi& roi, const PaddedLevels& grid, const Offset& d, long z_only) {
  Glcm m(roi.levels);
  const long step = grid.offset(d);
  const auto [begin, end] = grid.voxels_of(z_only);
  for (const size_t* v = begin; v != end; ++v) {
    const int j = grid.level[size_t(long(*v) + step)] - 1;
    if (j < 0) continue;  // the neighbour is outside the intensity mask
    const int i = grid.level[*v] - 1;
    m.counts[size_t(i) * m.ng + j] += 1;
    m.counts[size_t(j) * m.ng + i] += 1;
  }
  return m;
}

// IBSI's 25 features; ng_norm is the grey level count IDN and IDMN normalise by (IBSI: Ng).
std::vector<double> features(const Glcm& m, double ng_norm) {
  const int ng = m.ng;
  const double total = m.total();
  std::vector<double> px(ng + 1, 0.0), py(ng + 1, 0.0), pdiff(ng, 0.0), psum(2 * ng + 1, 0.0);
  double joint_max = 0, mu = 0, entropy = 0, asm_ = 0, contrast = 0, dissimilarity = 0, id = 0, idn = 0, idm = 0,
         idmn = 0, autocorrelation = 0;
  for (int i = 1; i <= ng; ++i)
    for (int j = 1; j <= ng; ++j) {
      const double p = m.counts[size_t(i - 1) * ng + (j - 1)] / total;
      if (p == 0) continue;
      px[i] += p;
      py[j] += p;
      pdiff[std::abs(i - j)] += p;
      psum[i + j] += p;
      joint_max = std::max(joint_max, p);
      mu += i * p;
      entropy -= p * std::log2(p);
      asm_ += p * p;
      const double k = std::abs(i - j);
      contrast += k * k * p;
      dissimilarity += k * p;
      id += p / (1 + k);
      idn += p / (1 + k / ng_norm);
      idm += p / (1 + k * k);
      idmn += p / (1 + k * k / (ng_norm * ng_norm));
      autocorrelation += double(i) * j * p;
    }
  double joint_var = 0, mu_x = 0, mu_y = 0;
  for (int i = 1; i <= ng; ++i) {
    mu_x += i * px[i];
    mu_y += i * py[i];
  }
  double var_x = 0, var_y = 0, covariance = 0, tendency = 0, shade = 0, prominence = 0, hxy1 = 0, hxy2 = 0;
  for (int i = 1; i <= ng; ++i) {
    var_x += (i - mu_x) * (i - mu_x) * px[i];
    var_y += (i - mu_y) * (i - mu_y) * py[i];
  }
  for (int i = 1; i <= ng; ++i)
    for (int j = 1; j <= ng; ++j) {
      const double p = m.counts[size_t(i - 1) * ng + (j - 1)] / total;
      const double q = px[i] * py[j];
      if (q > 0) hxy2 -= q * std::log2(q);
      if (p == 0) continue;
      joint_var += (i - mu) * (i - mu) * p;
      covariance += (i - mu_x) * (j - mu_y) * p;
      const double c = i + j - mu_x - mu_y;
      tendency += c * c * p;
      shade += c * c * c * p;
      prominence += c * c * c * c * p;
      hxy1 -= p * std::log2(q);
    }
  double diff_avg = 0, diff_var = 0, diff_entropy = 0, inverse_variance = 0;
  for (int k = 0; k < ng; ++k) {
    diff_avg += k * pdiff[k];
    if (pdiff[k] > 0) diff_entropy -= pdiff[k] * std::log2(pdiff[k]);
    if (k > 0) inverse_variance += pdiff[k] / (double(k) * k);
  }
  for (int k = 0; k < ng; ++k) diff_var += (k - diff_avg) * (k - diff_avg) * pdiff[k];
  double sum_avg = 0, sum_var = 0, sum_entropy = 0;
  for (int k = 2; k <= 2 * ng; ++k) {
    sum_avg += k * psum[k];
    if (psum[k] > 0) sum_entropy -= psum[k] * std::log2(psum[k]);
  }
  for (int k = 2; k <= 2 * ng; ++k) sum_var += (k - sum_avg) * (k - sum_avg) * psum[k];
  double hx = 0, hy = 0;
  for (int i = 1; i <= ng; ++i) {
    if (px[i] > 0) hx -= px[i] * std::log2(px[i]);
    if (py[i] > 0) hy -= py[i] * std::log2(py[i]);
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double correlation = var_x > 0 && var_y > 0 ? covariance / std::sqrt(var_x * var_y) : nan;
  const double info1 = std::max(hx, hy) > 0 ? (entropy - hxy1) / std::max(hx, hy) : nan;
  const double info2 = std::sqrt(std::max(0.0, 1 - std::exp(-2 * (hxy2 - entropy))));
  return {joint_max, mu,           joint_var,        entropy,     diff_avg,
          diff_var,  diff_entropy, sum_avg,          sum_var,     sum_entropy,
          asm_,      contrast,     dissimilarity,    id,          idn,
          idm,       idmn,         inverse_variance, correlation, autocorrelation,
          tendency,  shade,        prominence,       info1,       info2};
}

// Maximal correlation coefficient: square root of the second largest eigenvalue of
// Q(i,j) = sum_k p(i,k) p(j,k) / (px(i) py(k)), over the levels that occur. Q = Dx^-1 P Dy^-1 P^T
// is similar to the symmetric Dx^-1/2 P Dy^-1 P^T Dx^-1/2, whose eigenvalues a symmetric solver
// finds quickly and exactly.
double maximal_correlation(const Glcm& m) {
  const double total = m.total();
  std::vector<double> px(m.ng, 0.0), py(m.ng, 0.0);
  for (int i = 0; i < m.ng; ++i)
    for (int j = 0; j < m.ng; ++j) {
      px[i] += m.counts[size_t(i) * m.ng + j] / total;
      py[j] += m.counts[size_t(i) * m.ng + j] / total;
    }
  std::vector<int> rows, columns;
  for (int i = 0; i < m.ng; ++i) {
    if (px[i] > 0) rows.push_back(i);
    if (py[i] > 0) columns.push_back(i);
  }
  if (rows.size() < 2) return 1;  // one level: perfectly correlated, as PyRadiomics reports
  // A(i,k) = p(i,k) / sqrt(px(i) py(k)); the symmetric matrix is A A^T.
  Eigen::MatrixXd a(long(rows.size()), long(columns.size()));
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < columns.size(); ++c)
      a(long(r), long(c)) =
          m.counts[size_t(rows[r]) * m.ng + columns[c]] / total / std::sqrt(px[rows[r]] * py[columns[c]]);
  const Eigen::MatrixXd s = a * a.transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(s, Eigen::EigenvaluesOnly);
  const auto& eigenvalues = solver.eigenvalues();  // ascending
  return std::sqrt(std::max(0.0, eigenvalues[eigenvalues.size() - 2]));
}

}  // namespace

const FeatureNames& glcm_names() {
  static const FeatureNames names = {
      {"joint_maximum", "GYBY", "MaximumProbability"},
      {"joint_average", "60VM", "JointAverage"},
      {"joint_variance", "UR99", "SumSquares"},
      {"joint_entropy", "TU9B", "JointEntropy"},
      {"difference_average", "TF7R", "DifferenceAverage"},
      {"difference_variance", "D3YU", "DifferenceVariance"},
      {"difference_entropy", "NTRS", "DifferenceEntropy"},
      {"sum_average", "ZGXS", "SumAverage"},
      {"sum_variance", "OEEB", nullptr},
      {"sum_entropy", "P6QZ", "SumEntropy"},
      {"angular_second_moment", "8ZQL", "JointEnergy"},
      {"contrast", "ACUI", "Contrast"},
      {"dissimilarity", "8S9J", nullptr},
      {"inverse_difference", "IB1Z", "Id"},
      {"normalised_inverse_difference", "NDRX", "Idn"},
      {"inverse_difference_moment", "WF0Z", "Idm"},
      {"normalised_inverse_difference_moment", "1QCO", "Idmn"},
      {"inverse_variance", "E8JP", "InverseVariance"},
      {"correlation", "NI2N", "Correlation"},
      {"autocorrelation", "QWB0", "Autocorrelation"},
      {"cluster_tendency", "DG8W", "ClusterTendency"},
      {"cluster_shade", "7NFM", "ClusterShade"},
      {"cluster_prominence", "AE86", "ClusterProminence"},
      {"information_correlation_1", "R8DG", "Imc1"},
      {"information_correlation_2", "JN9H", "Imc2"},
  };
  return names;
}

FeatureList glcm_features(const Roi& roi, const Aggregations& only) {
  if (double(roi.levels) * roi.levels * sizeof(double) > kMaxMatrixBytes)
    core::fail("a GLCM of ", roi.levels, " grey levels would need ", double(roi.levels) * roi.levels * 8 / 1e9,
               " GB; use fewer bins");
  FeatureList out;
  const PaddedLevels grid(roi);
  aggregate_directional(
      roi, out, "glcm", glcm_names(), only, Glcm(roi.levels),
      [&](const Offset& d, long z) { return count(roi, grid, d, z); },
      [&](const Glcm& m) { return features(m, roi.levels); });
  return out;
}

std::vector<double> glcm_with_mcc(const Roi& roi, GlcmAggregation aggregation) {
  auto values_of = [&](const Glcm& m) {
    auto values = features(m, roi.levels);
    values.push_back(maximal_correlation(m));
    return values;
  };
  const bool in_plane = aggregation == GlcmAggregation::kInPlaneDirectionsAveraged;
  const auto& directions = in_plane ? directions_2d() : directions_3d();
  std::vector<std::vector<double>> per_direction;
  Glcm merged(roi.levels);
  const PaddedLevels grid(roi);
  for (auto& d : directions) {
    // Over the whole volume: in-plane directions never leave their slice.
    Glcm m = count(roi, grid, d, -1);
    if (m.empty()) continue;
    merged.merge(m);
    if (aggregation != GlcmAggregation::kMerged3d) per_direction.push_back(values_of(m));
  }
  if (aggregation == GlcmAggregation::kMerged3d) return merged.empty() ? std::vector<double>{} : values_of(merged);
  return mean_of(per_direction);
}

}  // namespace vbiopsy::encoders::radiomics
