#pragma once
// Deterministic k-means (k-means++ seeding from a seeded stream, several restarts, Lloyd
// iterations) with optional point weights, and the Calinski-Harabasz index used to choose k.
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace vbiopsy::modalities::mri {

struct KMeansResult {
  Eigen::MatrixXd centroids;  // k x d
  std::vector<int> labels;    // per point, 0..k-1
  double inertia = 0;         // weighted within-cluster sum of squares
};

// points: n x d. weights: empty (all 1) or n values. Throws core::Error when k > n or k < 1.
KMeansResult kmeans(const Eigen::MatrixXd& points, int k, uint64_t seed, const std::vector<double>& weights = {},
                    int restarts = 5, int iterations = 100);

// Calinski-Harabasz index (weighted): between-cluster over within-cluster dispersion, each per
// degree of freedom. Larger is better.
double calinski_harabasz(const Eigen::MatrixXd& points, const KMeansResult& clustering,
                         const std::vector<double>& weights = {});

// Mean silhouette width (weighted): for each point, (b - a) / max(a, b) with a its mean distance to
// its own cluster and b to the nearest other cluster. In [-1, 1]; larger is better. O(n^2).
double silhouette(const Eigen::MatrixXd& points, const KMeansResult& clustering,
                  const std::vector<double>& weights = {});

// Adjusted Rand index of two labelings of the same items (labels may be any integers).
double adjusted_rand_index(const std::vector<int>& a, const std::vector<int>& b);

}  // namespace vbiopsy::modalities::mri
