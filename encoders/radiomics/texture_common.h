#pragma once
// Pieces shared by the texture families: neighbour offsets, sparse count matrices, and the
// features every "grey level x size" matrix (run length, zone size, zone distance, dependence
// count) has in common.
#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/roi.h"

namespace vbiopsy::encoders::radiomics::detail {

using Offset = std::array<int, 3>;
// The 13 unique directions of 3D (first 4 lie in-plane, the 2D directions).
const std::vector<Offset>& directions_3d();
const std::vector<Offset>& directions_2d();
// Every neighbour at Chebyshev distance 1: 8 in-plane, or 26 in 3D.
std::vector<Offset> neighbours(bool in_plane);

// Counts indexed by (grey level, second index); `voxels` is the number of voxels the matrix
// describes (summed when matrices are merged), for the percentage features.
struct CountMatrix {
  std::map<std::pair<int, int>, double> counts;
  double voxels = 0;
  void merge(const CountMatrix& other) {
    for (auto& [key, c] : other.counts) counts[key] += c;
    voxels += other.voxels;
  }
  bool empty() const { return counts.empty(); }
};

// Names of the 16 features of a grey level x size matrix, in IBSI order, with their ids.
struct SizeMatrixNames {
  const char* family;
  std::array<std::pair<const char*, const char*>, 16> features;
};
std::vector<double> size_matrix_features(const CountMatrix& m);  // 16 values, IBSI order

// Averages feature vectors (NaN-aware: a NaN in any contributes NaN, as IBSI leaves it undefined).
std::vector<double> mean_of(const std::vector<std::vector<double>>& rows);

void append(FeatureList& out, const char* family, const std::vector<std::pair<const char*, const char*>>& names,
            const std::vector<double>& values, const std::string& aggregation);

// Slices (z planes) that hold at least one ROI voxel.
std::vector<size_t> roi_slices(const Roi& roi);

}  // namespace vbiopsy::encoders::radiomics::detail
