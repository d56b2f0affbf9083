// Grey level run length matrix (IBSI 3.7): runs of equal level along each direction.
#include <algorithm>

#include "encoders/radiomics/texture.h"
#include "encoders/radiomics/texture_common.h"

namespace vbiopsy::encoders::radiomics {
namespace {
using namespace detail;

// Runs along direction d among the voxels of slice z_only (>= 0) or of the volume (< 0).
CountMatrix runs(const Roi& roi, const PaddedLevels& grid, const Offset& d, long z_only) {
  const long step = grid.offset(d);
  const int longest = int(std::max({roi.size[0], roi.size[1], roi.size[2]}));
  CountBuilder counts(roi.levels, longest);
  const auto [begin, end] = grid.voxels_of(z_only);
  const int* level = grid.level.data();
  for (const size_t* v = begin; v != end; ++v) {
    const long i = long(*v);
    const int l = level[i];
    if (level[i - step] == l) continue;  // only the first voxel of a run starts counting
    int length = 1;
    for (long j = i + step; level[j] == l; j += step) ++length;
    counts.add(l, length);
  }
  return counts.build(double(end - begin));
}

}  // namespace

const FeatureNames& glrlm_names() {
  static const FeatureNames names = {
      {"short_runs_emphasis", "22OV", "ShortRunEmphasis"},
      {"long_runs_emphasis", "W4KF", "LongRunEmphasis"},
      {"low_grey_level_run_emphasis", "V3SW", "LowGrayLevelRunEmphasis"},
      {"high_grey_level_run_emphasis", "G3QZ", "HighGrayLevelRunEmphasis"},
      {"short_run_low_grey_level_emphasis", "HTZT", "ShortRunLowGrayLevelEmphasis"},
      {"short_run_high_grey_level_emphasis", "GD3A", "ShortRunHighGrayLevelEmphasis"},
      {"long_run_low_grey_level_emphasis", "IVPO", "LongRunLowGrayLevelEmphasis"},
      {"long_run_high_grey_level_emphasis", "3KUM", "LongRunHighGrayLevelEmphasis"},
      {"grey_level_non_uniformity", "R5YN", "GrayLevelNonUniformity"},
      {"normalised_grey_level_non_uniformity", "OVBL", "GrayLevelNonUniformityNormalized"},
      {"run_length_non_uniformity", "W92Y", "RunLengthNonUniformity"},
      {"normalised_run_length_non_uniformity", "IC23", "RunLengthNonUniformityNormalized"},
      {"run_percentage", "9ZK5", "RunPercentage"},
      {"grey_level_variance", "8CE5", "GrayLevelVariance"},
      {"run_length_variance", "SXLW", "RunVariance"},
      {"run_entropy", "HJ9O", "RunEntropy"},
  };
  return names;
}

FeatureList glrlm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  const PaddedLevels grid(roi);
  aggregate_directional(
      roi, out, "glrlm", glrlm_names(), only, CountMatrix{},
      [&](const Offset& d, long z) { return runs(roi, grid, d, z); }, size_matrix_features);
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
