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
  CountBuilder counts;
  double voxels = 0;
  const long z0 = z_only < 0 ? 0 : z_only, z1 = z_only < 0 ? long(roi.size[2]) : z_only + 1;
  auto inside = [&](long x, long y, long z) {
    return x >= 0 && y >= 0 && z >= z0 && x < long(roi.size[0]) && y < long(roi.size[1]) && z < z1 &&
           roi.in_roi[roi.index(x, y, z)];
  };
  for (long z = z0; z < z1; ++z)
    for (long y = 0; y < long(roi.size[1]); ++y)
      for (long x = 0; x < long(roi.size[0]); ++x) {
        if (!inside(x, y, z)) continue;
        voxels += 1;
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
        counts.add(level, length);
      }
  return counts.build(voxels);
}

}  // namespace

FeatureList glrlm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  aggregate_directional(roi, out, "glrlm", kNames, only, CountMatrix{},
                        [&](const Offset& d, long z) { return runs(roi, d, z); }, size_matrix_features);
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
