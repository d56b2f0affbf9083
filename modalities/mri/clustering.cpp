#include "modalities/mri/clustering.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/random.h"

namespace vbiopsy::modalities::mri {

namespace {

// Squared distance of two rows of d values: the hot loop of k-means (plain loops over row-major
// copies are several times faster than Eigen row expressions for the few features habitats use).
inline double distance2(const double* a, const double* b, long d) {
  double sum = 0;
  for (long j = 0; j < d; ++j) sum += (a[j] - b[j]) * (a[j] - b[j]);
  return sum;
}

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Lloyd's assignment step: every point to its nearest centre (the lowest index among equals);
// returns the weighted inertia and sets `changed` when a label moved. The centres come transposed
// (d x k), so that four centres' coordinates are adjacent and vectorise; each distance still sums
// its d terms in order, the same bits as distance2().
__attribute__((target_clones("avx2", "default"))) double assign(const double* points, long n, long d,
                                                                const double* centres_t, int k, const double* w,
                                                                int* labels, double* distances, bool& changed) {
  double inertia = 0;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (long i = 0; i < n; ++i) {
    const double* point = points + i * d;
    // Four centres at a time, their distances held in registers over the d coordinates; the
    // smallest kept per lane (a min does not depend on the order; a NaN never wins, as in a strict
    // comparison); then the first centre at the smallest: the same label as a running
    // "distance < best" over the centres, without its chain of dependent compares.
    double m[4] = {kInf, kInf, kInf, kInf};
    int c = 0;
    for (; c + 4 <= k; c += 4) {
      double sum[4] = {0, 0, 0, 0};
      for (long j = 0; j < d; ++j)
        for (int lane = 0; lane < 4; ++lane) {
          const double diff = point[j] - centres_t[j * k + c + lane];
          sum[lane] += diff * diff;
        }
      for (int lane = 0; lane < 4; ++lane) {
        distances[c + lane] = sum[lane];
        m[lane] = sum[lane] < m[lane] ? sum[lane] : m[lane];
      }
    }
    for (; c < k; ++c) {
      double sum = 0;
      for (long j = 0; j < d; ++j) sum += (point[j] - centres_t[j * k + c]) * (point[j] - centres_t[j * k + c]);
      distances[c] = sum;
      m[0] = sum < m[0] ? sum : m[0];
    }
    double nearest_d = std::min(std::min(m[0], m[1]), std::min(m[2], m[3]));
    int nearest = 0;
    if (nearest_d < kInf)
      while (!(distances[nearest] == nearest_d)) ++nearest;
    else
      nearest_d = kInf;
    if (labels[i] != nearest) changed = true;
    labels[i] = nearest;
    inertia += w[i] * nearest_d;
  }
  return inertia;
}

}  // namespace

KMeansResult kmeans(const Eigen::MatrixXd& points_in, int k, uint64_t seed, const std::vector<double>& weights_in,
                    int restarts, int iterations) {
  const long n = points_in.rows(), d = points_in.cols();
  if (k < 1 || k > n) core::fail("k-means: k = ", k, " with ", n, " points");
  const RowMajor points = points_in;
  std::vector<double> w = weights_in.empty() ? std::vector<double>(size_t(n), 1.0) : weights_in;
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int restart = 0; restart < restarts; ++restart) {
    core::Rng rng(core::derive_seed(seed, {uint64_t(restart)}));
    // k-means++: each next centre drawn with probability proportional to weight x squared distance.
    RowMajor centroids(k, d);
    std::vector<double> d2(size_t(n), std::numeric_limits<double>::infinity());
    double total_w = 0;
    for (double x : w) total_w += x;
    double pick = rng.uniform() * total_w;
    long first = 0;
    for (; first < n - 1 && (pick -= w[size_t(first)]) > 0; ++first) {
    }
    centroids.row(0) = points.row(first);
    for (int c = 1; c < k; ++c) {
      double sum = 0;
      const double* centre = centroids.data() + (c - 1) * d;
      for (long i = 0; i < n; ++i) {
        d2[size_t(i)] = std::min(d2[size_t(i)], distance2(points.data() + i * d, centre, d));
        sum += w[size_t(i)] * d2[size_t(i)];
      }
      long chosen = 0;
      if (sum > 0) {
        double r = rng.uniform() * sum;
        for (; chosen < n - 1 && (r -= w[size_t(chosen)] * d2[size_t(chosen)]) > 0; ++chosen) {
        }
      }
      centroids.row(c) = points.row(chosen);
    }
    std::vector<int> labels(size_t(n), 0);
    double inertia = 0;
    std::vector<double> distances(static_cast<size_t>(k));
    for (int it = 0; it < iterations; ++it) {
      bool changed = it == 0;
      RowMajor transposed = centroids.transpose();  // d x k, row j = coordinate j of every centre
      inertia = assign(points.data(), n, d, transposed.data(), k, w.data(), labels.data(), distances.data(), changed);
      if (!changed) break;
      RowMajor sums = RowMajor::Zero(k, d);
      std::vector<double> mass(size_t(k), 0.0);
      for (long i = 0; i < n; ++i) {
        const int c = labels[size_t(i)];
        const double* point = points.data() + i * d;
        double* total = sums.data() + c * d;
        for (long j = 0; j < d; ++j) total[j] += w[size_t(i)] * point[j];
        mass[size_t(c)] += w[size_t(i)];
      }
      for (int c = 0; c < k; ++c)
        if (mass[size_t(c)] > 0)
          centroids.row(c) = sums.row(c) / mass[size_t(c)];  // an emptied cluster keeps its centre
    }
    if (inertia < best.inertia) best = {Eigen::MatrixXd(centroids), labels, inertia};
  }
  return best;
}

double calinski_harabasz(const Eigen::MatrixXd& points, const KMeansResult& clustering,
                         const std::vector<double>& weights_in) {
  const long n = points.rows();
  const int k = int(clustering.centroids.rows());
  std::vector<double> w = weights_in.empty() ? std::vector<double>(size_t(n), 1.0) : weights_in;
  double total_w = 0;
  Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(points.cols());
  for (long i = 0; i < n; ++i) {
    mean += w[size_t(i)] * points.row(i);
    total_w += w[size_t(i)];
  }
  mean /= total_w;
  std::vector<double> mass(size_t(k), 0.0);
  double within = 0;
  for (long i = 0; i < n; ++i) {
    const int c = clustering.labels[size_t(i)];
    mass[size_t(c)] += w[size_t(i)];
    within += w[size_t(i)] * (points.row(i) - clustering.centroids.row(c)).squaredNorm();
  }
  double between = 0;
  for (int c = 0; c < k; ++c) between += mass[size_t(c)] * (clustering.centroids.row(c) - mean).squaredNorm();
  if (k < 2 || within <= 0 || total_w <= k) return 0;
  return (between / (k - 1)) / (within / (total_w - k));
}

double silhouette(const Eigen::MatrixXd& points, const KMeansResult& clustering,
                  const std::vector<double>& weights_in) {
  const long n = points.rows();
  const int k = int(clustering.centroids.rows());
  if (k < 2) return 0;
  std::vector<double> w = weights_in.empty() ? std::vector<double>(size_t(n), 1.0) : weights_in;
  double total = 0, total_w = 0;
  std::vector<double> distance_sum(static_cast<size_t>(k)), mass(static_cast<size_t>(k));
  for (long i = 0; i < n; ++i) {
    std::fill(distance_sum.begin(), distance_sum.end(), 0.0);
    std::fill(mass.begin(), mass.end(), 0.0);
    for (long j = 0; j < n; ++j) {
      if (i == j) continue;
      const int c = clustering.labels[size_t(j)];
      distance_sum[size_t(c)] += w[size_t(j)] * (points.row(i) - points.row(j)).norm();
      mass[size_t(c)] += w[size_t(j)];
    }
    const int own = clustering.labels[size_t(i)];
    if (mass[size_t(own)] <= 0) continue;  // a singleton cluster: silhouette 0
    const double a = distance_sum[size_t(own)] / mass[size_t(own)];
    double b = std::numeric_limits<double>::infinity();
    for (int c = 0; c < k; ++c)
      if (c != own && mass[size_t(c)] > 0) b = std::min(b, distance_sum[size_t(c)] / mass[size_t(c)]);
    if (!std::isfinite(b)) continue;
    total += w[size_t(i)] * (b - a) / std::max(a, b);
    total_w += w[size_t(i)];
  }
  return total_w > 0 ? total / total_w : 0;
}

double adjusted_rand_index(const std::vector<int>& a, const std::vector<int>& b) {
  if (a.size() != b.size()) core::fail("adjusted Rand index: ", a.size(), " vs ", b.size(), " labels");
  std::map<std::pair<int, int>, double> table;
  std::map<int, double> rows, columns;
  for (size_t i = 0; i < a.size(); ++i) {
    table[{a[i], b[i]}] += 1;
    rows[a[i]] += 1;
    columns[b[i]] += 1;
  }
  auto pairs = [](double x) { return x * (x - 1) / 2; };
  double index = 0, sum_rows = 0, sum_columns = 0;
  for (auto& [key, c] : table) index += pairs(c);
  for (auto& [key, c] : rows) sum_rows += pairs(c);
  for (auto& [key, c] : columns) sum_columns += pairs(c);
  const double expected = sum_rows * sum_columns / pairs(double(a.size()));
  const double maximum = (sum_rows + sum_columns) / 2;
  return maximum == expected ? 1.0 : (index - expected) / (maximum - expected);
}

}  // namespace vbiopsy::modalities::mri
