// Zone-based families: GLSZM (IBSI 3.8, zones of connected equal-level voxels by size), GLDZM
// (IBSI 3.9, the same zones by their distance to the ROI edge), NGTDM (3.10) and NGLDM (3.11),
// each per slice ("2D", averaged), slices merged ("2.5D") and in 3D.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>

#include "encoders/radiomics/texture.h"
#include "encoders/radiomics/texture_common.h"

namespace vbiopsy::encoders::radiomics {
namespace {
using namespace detail;

// The voxels a 2D (one slice) or 3D computation looks at.
struct Region {
  long z0, z1;
  bool in_plane;
};

// The region's voxels in the padded grid: one slice's for 2D, all for 3D.
std::pair<const size_t*, const size_t*> voxels_of(const PaddedLevels& grid, const Region& r) {
  return grid.voxels_of(r.in_plane ? r.z0 : -1);
}

std::vector<long> neighbour_offsets(const PaddedLevels& grid, bool in_plane) {
  std::vector<long> out;
  for (auto& o : neighbours(in_plane)) out.push_back(grid.offset(o));
  return out;
}

// Distance to the edge of the morphological mask: 1 at the edge, growing by one per 4-connected
// (in-plane) or 6-connected (3D) step inwards.
std::vector<int> edge_distance(const Roi& roi, const Region& r) {
  std::vector<int> distance(roi.voxel_count(), 0);
  std::deque<std::array<long, 3>> queue;
  const std::vector<Offset> steps =
      r.in_plane ? std::vector<Offset>{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}}
                 : std::vector<Offset>{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
  auto in_mask = [&](long x, long y, long z) {
    return x >= 0 && y >= 0 && z >= r.z0 && x < long(roi.size[0]) && y < long(roi.size[1]) && z < r.z1 &&
           roi.morphological[roi.index(x, y, z)];
  };
  for (long z = r.z0; z < r.z1; ++z)
    for (long y = 0; y < long(roi.size[1]); ++y)
      for (long x = 0; x < long(roi.size[0]); ++x) {
        if (!in_mask(x, y, z)) continue;
        for (auto& s : steps)
          if (!in_mask(x + s[0], y + s[1], z + s[2])) {
            distance[roi.index(x, y, z)] = 1;
            queue.push_back({x, y, z});
            break;
          }
      }
  while (!queue.empty()) {
    auto [x, y, z] = queue.front();
    queue.pop_front();
    const int next = distance[roi.index(x, y, z)] + 1;
    for (auto& s : steps) {
      const long a = x + s[0], b = y + s[1], c = z + s[2];
      if (!in_mask(a, b, c) || distance[roi.index(a, b, c)] != 0) continue;
      distance[roi.index(a, b, c)] = next;
      queue.push_back({a, b, c});
    }
  }
  return distance;
}

// GLSZM and GLDZM of one region together: both walk the same zones (the distances only when asked).
std::pair<CountMatrix, CountMatrix> zone_matrices(const Roi& roi, const PaddedLevels& grid, const Region& r,
                                                  bool with_distances) {
  std::vector<int> distance;  // edge distance by padded index
  if (with_distances) {
    const auto on_roi_grid = edge_distance(roi, r);
    distance.assign(grid.level.size(), 0);
    for (size_t z = 0; z < roi.size[2]; ++z)
      for (size_t y = 0; y < roi.size[1]; ++y)
        for (size_t x = 0; x < roi.size[0]; ++x)
          distance[(x + 1) + grid.size[0] * ((y + 1) + grid.size[1] * (z + 1))] = on_roi_grid[roi.index(x, y, z)];
  }
  const auto [begin, end] = voxels_of(grid, r);
  const int longest = int(std::max({roi.size[0], roi.size[1], roi.size[2]}));
  CountBuilder sizes(roi.levels, int(end - begin)), distances(roi.levels, with_distances ? longest : 1);
  const auto connectivity = neighbour_offsets(grid, r.in_plane);
  std::vector<uint8_t> seen(grid.level.size(), 0);
  std::vector<size_t> stack;
  for (const size_t* v = begin; v != end; ++v) {
    if (seen[*v]) continue;
    const int level = grid.level[*v];
    int size = 0, min_distance = std::numeric_limits<int>::max();
    seen[*v] = 1;
    stack.push_back(*v);
    while (!stack.empty()) {
      const size_t i = stack.back();
      stack.pop_back();
      ++size;
      if (with_distances) min_distance = std::min(min_distance, distance[i]);
      for (long o : connectivity) {
        const size_t k = size_t(long(i) + o);
        if (seen[k] || grid.level[k] != level) continue;  // padding and non-ROI voxels hold level 0
        seen[k] = 1;
        stack.push_back(k);
      }
    }
    sizes.add(level, size);
    if (with_distances) distances.add(level, std::max(min_distance, 1));
  }
  return {sizes.build(double(end - begin)), distances.build(double(end - begin))};
}

// NGTDM sums per level (index = level): n (voxels with a neighbour) and s (sum |level - neighbour mean|).
struct Ngtdm {
  std::vector<double> n, s;
  void merge(const Ngtdm& o) {
    if (n.size() < o.n.size()) {
      n.resize(o.n.size(), 0.0);
      s.resize(o.s.size(), 0.0);
    }
    for (size_t l = 0; l < o.n.size(); ++l) {
      n[l] += o.n[l];
      s[l] += o.s[l];
    }
  }
};

Ngtdm ngtdm_of(const Roi& roi, const PaddedLevels& grid, const Region& r) {
  Ngtdm m;
  m.n.assign(size_t(roi.levels) + 1, 0.0);
  m.s.assign(size_t(roi.levels) + 1, 0.0);
  const auto around = neighbour_offsets(grid, r.in_plane);
  const auto [begin, end] = voxels_of(grid, r);
  for (const size_t* v = begin; v != end; ++v) {
    double sum = 0, count = 0;
    for (long o : around) {
      const int neighbour = grid.level[size_t(long(*v) + o)];
      if (neighbour == 0) continue;
      sum += neighbour;
      count += 1;
    }
    if (count == 0) continue;  // no neighbourhood: IBSI leaves the voxel out
    const int level = grid.level[*v];
    m.n[size_t(level)] += 1;
    m.s[size_t(level)] += std::abs(level - sum / count);
  }
  return m;
}

std::vector<double> ngtdm_values(const Ngtdm& m) {
  double nvc = 0, s_total = 0;
  for (double v : m.n) nvc += v;
  for (double v : m.s) s_total += v;
  std::map<int, double> p;  // levels that occur, with their probability
  for (size_t l = 0; l < m.n.size(); ++l)
    if (m.n[l] > 0) p[int(l)] = m.n[l] / nvc;
  const double ngp = static_cast<double>(p.size());
  double ps_sum = 0;
  for (auto& [l, pv] : p) ps_sum += pv * m.s[size_t(l)];
  double contrast_sum = 0, busy_den = 0, complexity = 0, strength_num = 0;
  for (auto& [i, pi] : p)
    for (auto& [j, pj] : p) {
      contrast_sum += pi * pj * double(i - j) * double(i - j);
      busy_den += std::abs(i * pi - j * pj);
      complexity += std::abs(i - j) * (pi * m.s[size_t(i)] + pj * m.s[size_t(j)]) / (pi + pj);
      strength_num += (pi + pj) * double(i - j) * double(i - j);
    }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double coarseness = ps_sum > 0 ? 1.0 / ps_sum : 1e6;  // PyRadiomics and IBSI cap a flat region
  const double contrast = ngp > 1 ? contrast_sum / (ngp * (ngp - 1)) * s_total / nvc : 0;
  const double busyness = busy_den > 0 ? ps_sum / busy_den : (ngp > 1 ? nan : 0);
  const double strength = s_total > 0 ? strength_num / s_total : 0;
  return {coarseness, contrast, busyness, complexity / nvc, strength};
}

CountMatrix ngldm_of(const Roi& roi, const PaddedLevels& grid, const Region& r) {
  const auto around = neighbour_offsets(grid, r.in_plane);
  CountBuilder counts(roi.levels, int(around.size()) + 1);
  const auto [begin, end] = voxels_of(grid, r);
  for (const size_t* v = begin; v != end; ++v) {
    const int level = grid.level[*v];
    int dependence = 1;
    for (long o : around) dependence += grid.level[size_t(long(*v) + o)] == level;
    counts.add(level, dependence);
  }
  return counts.build(double(end - begin));
}

std::vector<double> ngldm_values(const CountMatrix& m) {
  auto v = size_matrix_features(m);
  double ns = 0, energy = 0;
  for (auto& e : m.entries) ns += e.count;
  for (auto& e : m.entries) energy += (e.count / ns) * (e.count / ns);
  v.push_back(energy);
  return v;
}

// Per slice averaged ("2D"), slices merged ("2.5D") and the volume ("3D"), those in `only`.
template <typename Matrix, typename Compute, typename Values>
void aggregate(const Roi& roi, FeatureList& out, const char* family, const FeatureNames& names,
               const Aggregations& only, Compute compute, Values values) {
  const bool per_slice_wanted = wanted(only, "2D"), merged_wanted = wanted(only, "2.5D");
  std::vector<std::vector<double>> per_slice;
  Matrix merged;
  if (per_slice_wanted || merged_wanted)
    for (size_t z : roi_slices(roi)) {
      Matrix m = compute(Region{long(z), long(z) + 1, true});
      if (per_slice_wanted) per_slice.push_back(values(m));
      if (merged_wanted) merged.merge(m);
    }
  if (per_slice_wanted) append(out, family, names, mean_of(per_slice), "2D");
  if (merged_wanted) append(out, family, names, values(merged), "2.5D");
  if (wanted(only, "3D")) append(out, family, names, values(compute(Region{0, long(roi.size[2]), false})), "3D");
}

}  // namespace

const FeatureNames& glszm_names() {
  static const FeatureNames names = {
      {"small_zone_emphasis", "5QRC", "SmallAreaEmphasis"},
      {"large_zone_emphasis", "48P8", "LargeAreaEmphasis"},
      {"low_grey_level_zone_emphasis", "XMSY", "LowGrayLevelZoneEmphasis"},
      {"high_grey_level_zone_emphasis", "5GN9", "HighGrayLevelZoneEmphasis"},
      {"small_zone_low_grey_level_emphasis", "5RAI", "SmallAreaLowGrayLevelEmphasis"},
      {"small_zone_high_grey_level_emphasis", "HW1V", "SmallAreaHighGrayLevelEmphasis"},
      {"large_zone_low_grey_level_emphasis", "YH51", "LargeAreaLowGrayLevelEmphasis"},
      {"large_zone_high_grey_level_emphasis", "J17V", "LargeAreaHighGrayLevelEmphasis"},
      {"grey_level_non_uniformity", "JNSA", "GrayLevelNonUniformity"},
      {"normalised_grey_level_non_uniformity", "Y1RO", "GrayLevelNonUniformityNormalized"},
      {"zone_size_non_uniformity", "4JP3", "SizeZoneNonUniformity"},
      {"normalised_zone_size_non_uniformity", "VB3A", "SizeZoneNonUniformityNormalized"},
      {"zone_percentage", "P30P", "ZonePercentage"},
      {"grey_level_variance", "BYLV", "GrayLevelVariance"},
      {"zone_size_variance", "3NSA", "ZoneVariance"},
      {"zone_size_entropy", "GU8N", "ZoneEntropy"},
  };
  return names;
}

const FeatureNames& gldzm_names() {
  static const FeatureNames names = {
      {"small_distance_emphasis", "0GBI", nullptr},
      {"large_distance_emphasis", "MB4I", nullptr},
      {"low_grey_level_zone_emphasis", "S1RA", nullptr},
      {"high_grey_level_zone_emphasis", "K26C", nullptr},
      {"small_distance_low_grey_level_emphasis", "RUVG", nullptr},
      {"small_distance_high_grey_level_emphasis", "DKNJ", nullptr},
      {"large_distance_low_grey_level_emphasis", "A7WM", nullptr},
      {"large_distance_high_grey_level_emphasis", "KLTH", nullptr},
      {"grey_level_non_uniformity", "VFT7", nullptr},
      {"normalised_grey_level_non_uniformity", "7HP3", nullptr},
      {"zone_distance_non_uniformity", "V294", nullptr},
      {"normalised_zone_distance_non_uniformity", "IATH", nullptr},
      {"zone_percentage", "VIWW", nullptr},
      {"grey_level_variance", "QK93", nullptr},
      {"zone_distance_variance", "7WT1", nullptr},
      {"zone_distance_entropy", "GBDU", nullptr},
  };
  return names;
}

const FeatureNames& ngtdm_names() {
  static const FeatureNames names = {
      {"coarseness", "QCDE", "Coarseness"}, {"contrast", "65HE", "Contrast"}, {"busyness", "NQ30", "Busyness"},
      {"complexity", "HDEZ", "Complexity"}, {"strength", "1X9X", "Strength"},
  };
  return names;
}

const FeatureNames& ngldm_names() {
  static const FeatureNames names = {
      {"low_dependence_emphasis", "SODN", "SmallDependenceEmphasis"},
      {"high_dependence_emphasis", "IMOQ", "LargeDependenceEmphasis"},
      {"low_grey_level_count_emphasis", "TL9H", "LowGrayLevelEmphasis"},
      {"high_grey_level_count_emphasis", "OAE7", "HighGrayLevelEmphasis"},
      {"low_dependence_low_grey_level_emphasis", "EQ3F", "SmallDependenceLowGrayLevelEmphasis"},
      {"low_dependence_high_grey_level_emphasis", "JA6D", "SmallDependenceHighGrayLevelEmphasis"},
      {"high_dependence_low_grey_level_emphasis", "NBZI", "LargeDependenceLowGrayLevelEmphasis"},
      {"high_dependence_high_grey_level_emphasis", "9QMG", "LargeDependenceHighGrayLevelEmphasis"},
      {"grey_level_non_uniformity", "FP8K", "GrayLevelNonUniformity"},
      {"normalised_grey_level_non_uniformity", "5SPA", nullptr},
      {"dependence_count_non_uniformity", "Z87G", "DependenceNonUniformity"},
      {"normalised_dependence_count_non_uniformity", "OKJI", "DependenceNonUniformityNormalized"},
      {"dependence_count_percentage", "6XV8", nullptr},
      {"grey_level_variance", "1PFV", "GrayLevelVariance"},
      {"dependence_count_variance", "DNX2", "DependenceVariance"},
      {"dependence_count_entropy", "FCBV", "DependenceEntropy"},
      {"dependence_count_energy", "CAS9", nullptr},
  };
  return names;
}

FeatureList glszm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  const PaddedLevels grid(roi);
  aggregate<CountMatrix>(
      roi, out, "glszm", glszm_names(), only, [&](const Region& r) { return zone_matrices(roi, grid, r, false).first; },
      size_matrix_features);
  return out;
}

FeatureList gldzm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  const PaddedLevels grid(roi);
  aggregate<CountMatrix>(
      roi, out, "gldzm", gldzm_names(), only, [&](const Region& r) { return zone_matrices(roi, grid, r, true).second; },
      size_matrix_features);
  return out;
}

FeatureList ngtdm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  const PaddedLevels grid(roi);
  aggregate<Ngtdm>(
      roi, out, "ngtdm", ngtdm_names(), only, [&](const Region& r) { return ngtdm_of(roi, grid, r); }, ngtdm_values);
  return out;
}

FeatureList ngldm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  const PaddedLevels grid(roi);
  aggregate<CountMatrix>(
      roi, out, "ngldm", ngldm_names(), only, [&](const Region& r) { return ngldm_of(roi, grid, r); }, ngldm_values);
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
