#pragma once
// Pieces shared by the texture families: neighbour offsets, sparse count matrices, and the
// features every "grey level x size" matrix (run length, zone size, zone distance, dependence
// count) has in common.
#include <array>
#include <cstdint>
#include <set>
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

// Counts indexed by (grey level, second index), sorted by key; `voxels` is the number of voxels the
// matrix describes (summed when matrices are merged), for the percentage features. Sorted entries
// rather than a map or a dense matrix: zone sizes can reach the voxel count, and the features sum
// in key order whatever the container.
struct CountMatrix {
  struct Entry {
    int level, size;
    double count;
  };
  std::vector<Entry> entries;  // ascending (level, size), each key once
  double voxels = 0;
  void merge(const CountMatrix& other);
  bool empty() const { return entries.empty(); }
};

// The grey levels on the ROI grid padded by one voxel on every side, 0 outside the intensity mask
// and in the padding, so that a neighbour is one fixed offset away and needs no bounds check; and
// the ROI voxels (padded indices) in index order, slice by slice.
struct PaddedLevels {
  std::array<size_t, 3> size;  // padded: the ROI's plus 2
  std::vector<int> level;
  std::vector<size_t> voxels;
  std::vector<size_t> slice_start;  // voxels of ROI slice z: [slice_start[z], slice_start[z + 1])
  explicit PaddedLevels(const Roi& roi);
  long offset(const Offset& d) const { return d[0] + long(size[0]) * (d[1] + long(size[1]) * d[2]); }
  // The voxels of one ROI slice (z >= 0) or of all (z < 0).
  std::pair<const size_t*, const size_t*> voxels_of(long z) const {
    const size_t* base = voxels.data();
    return z < 0 ? std::make_pair(base, base + voxels.size())
                 : std::make_pair(base + slice_start[size_t(z)], base + slice_start[size_t(z) + 1]);
  }
};

// Collects (level, size) occurrences in any order; build() counts them into a CountMatrix.
// Levels run 1..max_level and sizes 1..max_size: counted in a dense table when that is small,
// otherwise as keys sorted at the end.
class CountBuilder {
 public:
  CountBuilder(int max_level, int max_size);
  void add(int level, int size) {
    if (level < 1 || level > max_level_ || size < 1 || size > max_size_) out_of_range(level, size);
    if (!dense_.empty())
      ++dense_[size_t(level - 1) * size_t(max_size_) + size_t(size - 1)];
    else
      keys_.push_back(uint64_t(uint32_t(level)) << 32 | uint32_t(size));
  }
  CountMatrix build(double voxels);

 private:
  [[noreturn]] void out_of_range(int level, int size) const;
  int max_level_, max_size_;
  std::vector<uint32_t> dense_;
  std::vector<uint64_t> keys_;
};

std::vector<double> size_matrix_features(const CountMatrix& m);  // 16 values, IBSI order

// Averages feature vectors (NaN-aware: a NaN in any contributes NaN, as IBSI leaves it undefined).
std::vector<double> mean_of(const std::vector<std::vector<double>>& rows);

void append(FeatureList& out, const char* family, const FeatureNames& names, const std::vector<double>& values,
            const std::string& aggregation);

// Slices (z planes) that hold at least one ROI voxel.
std::vector<size_t> roi_slices(const Roi& roi);

// Whether `aggregation` is among `only` (empty: all are).
inline bool wanted(const std::set<std::string>& only, const char* aggregation) {
  return only.empty() || only.count(aggregation) > 0;
}

// IBSI's six aggregations of a directional matrix (GLCM, GLRLM), those in `only` (empty: all).
// count(direction, z) builds the matrix of one slice (z >= 0) or of the volume (z < 0);
// values(matrix) gives its features; empty matrices (no pair in that slice and direction) are left
// out of the averages.
template <typename Matrix, typename Count, typename Values>
void aggregate_directional(const Roi& roi, FeatureList& out, const char* family, const FeatureNames& names,
                           const std::set<std::string>& only, const Matrix& empty, Count count, Values values) {
  auto features_of = [&](const Matrix& m) { return m.empty() ? std::vector<double>{} : values(m); };
  const bool slice_direction = wanted(only, "2D, averaged"), slice_merged = wanted(only, "2D, slice-merged"),
             direction_merged = wanted(only, "2.5D, direction-merged"), merged_2d = wanted(only, "2.5D, merged"),
             averaged_3d = wanted(only, "3D, averaged"), merged_3d = wanted(only, "3D, merged");
  std::vector<std::vector<double>> per_slice_direction, per_slice, per_direction, per_direction_3d;
  std::vector<Matrix> by_direction(directions_2d().size(), empty);
  Matrix all_2d = empty, all_3d = empty;
  if (slice_direction || slice_merged || direction_merged || merged_2d) {
    for (size_t z : roi_slices(roi)) {
      Matrix slice = empty;
      for (size_t d = 0; d < directions_2d().size(); ++d) {
        Matrix m = count(directions_2d()[d], long(z));
        if (slice_direction && !m.empty()) per_slice_direction.push_back(values(m));
        if (slice_merged || merged_2d) slice.merge(m);
        if (direction_merged) by_direction[d].merge(m);
      }
      if (slice_merged && !slice.empty()) per_slice.push_back(values(slice));
      if (merged_2d) all_2d.merge(slice);
    }
    for (auto& m : by_direction)
      if (!m.empty()) per_direction.push_back(values(m));
  }
  if (averaged_3d || merged_3d)
    for (auto& d : directions_3d()) {
      Matrix m = count(d, -1);
      if (averaged_3d && !m.empty()) per_direction_3d.push_back(values(m));
      if (merged_3d) all_3d.merge(m);
    }
  if (slice_direction) append(out, family, names, mean_of(per_slice_direction), "2D, averaged");
  if (slice_merged) append(out, family, names, mean_of(per_slice), "2D, slice-merged");
  if (direction_merged) append(out, family, names, mean_of(per_direction), "2.5D, direction-merged");
  if (merged_2d) append(out, family, names, features_of(all_2d), "2.5D, merged");
  if (averaged_3d) append(out, family, names, mean_of(per_direction_3d), "3D, averaged");
  if (merged_3d) append(out, family, names, features_of(all_3d), "3D, merged");
}

}  // namespace vbiopsy::encoders::radiomics::detail
