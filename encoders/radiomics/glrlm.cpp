// Grey level run length matrix (IBSI 3.7): runs of equal level along each direction.
#include "encoders/radiomics/texture.h"
#include "encoders/radiomics/texture_common.h"

namespace vbiopsy::encoders::radiomics {
namespace {
using namespace detail;

const std::vector<std::pair<const char*, const char*>> kNames = {
    {"short_runs_emphasis", "22OV"}, {"long_runs_emphasis", "W4KF"},
    {"low_grey_level_run_emphasis", "V3SW"}, {"high_grey_level_run_emphasis", "G3QZ"},
    {"short_run_low_grey_level_emphasis", "HTZT"}, {"short_run_high_grey_level_emphasis", "GD3A"},
    {"long_run_low_grey_level_emphasis", "IVPO"}, {"long_run_high_grey_level_emphasis", "3KUM"},
    {"grey_level_non_uniformity", "R5YN"}, {"normalised_grey_level_non_uniformity", "OVBL"},
    {"run_length_non_uniformity", "W92Y"}, {"normalised_run_length_non_uniformity", "IC23"},
    {"run_percentage", "9ZK5"}, {"grey_level_variance", "8CE5"}, {"run_length_variance", "SXLW"},
    {"run_entropy", "HJ9O"}};

CountMatrix runs(const Roi& roi, const Offset& d, long z_only) {
  CountMatrix m;
  const long z0 = z_only < 0 ? 0 : z_only, z1 = z_only < 0 ? long(roi.size[2]) : z_only + 1;
  auto inside = [&](long x, long y, long z) {
    return x >= 0 && y >= 0 && z >= z0 && x < long(roi.size[0]) && y < long(roi.size[1]) && z < z1 &&
           roi.in_roi[roi.index(x, y, z)];
  };
  for (long z = z0; z < z1; ++z)
    for (long y = 0; y < long(roi.size[1]); ++y)
      for (long x = 0; x < long(roi.size[0]); ++x) {
        if (!inside(x, y, z)) continue;
        m.voxels += 1;
        const int level = roi.level[roi.index(x, y, z)];
        // Only the first voxel of a run starts counting.
        if (inside(x - d[0], y - d[1], z - d[2]) && roi.level[roi.index(x - d[0], y - d[1], z - d[2])] == level)
          continue;
        int length = 0;
        long cx = x, cy = y, cz = z;
        while (inside(cx, cy, cz) && roi.level[roi.index(cx, cy, cz)] == level) {
          ++length;
          cx += d[0];
          cy += d[1];
          cz += d[2];
        }
        m.counts[{level, length}] += 1;
      }
  return m;
}

}  // namespace

FeatureList glrlm_features(const Roi& roi) {
  FeatureList out;
  std::vector<std::vector<double>> per_slice_direction, per_slice;
  std::vector<CountMatrix> by_direction(directions_2d().size());
  CountMatrix all_2d;
  for (size_t z : roi_slices(roi)) {
    CountMatrix slice;
    for (size_t d = 0; d < directions_2d().size(); ++d) {
      CountMatrix m = runs(roi, directions_2d()[d], long(z));
      per_slice_direction.push_back(size_matrix_features(m));
      slice.merge(m);
      by_direction[d].merge(m);
    }
    per_slice.push_back(size_matrix_features(slice));
    all_2d.merge(slice);
  }
  std::vector<std::vector<double>> per_direction;
  for (auto& m : by_direction) per_direction.push_back(size_matrix_features(m));
  append(out, "glrlm", kNames, mean_of(per_slice_direction), "2D, averaged");
  append(out, "glrlm", kNames, mean_of(per_slice), "2D, slice-merged");
  append(out, "glrlm", kNames, mean_of(per_direction), "2.5D, direction-merged");
  append(out, "glrlm", kNames, size_matrix_features(all_2d), "2.5D, merged");
  std::vector<std::vector<double>> per_direction_3d;
  CountMatrix all_3d;
  for (auto& d : directions_3d()) {
    CountMatrix m = runs(roi, d, -1);
    per_direction_3d.push_back(size_matrix_features(m));
    all_3d.merge(m);
  }
  append(out, "glrlm", kNames, mean_of(per_direction_3d), "3D, averaged");
  append(out, "glrlm", kNames, size_matrix_features(all_3d), "3D, merged");
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
