// Zone-based families: GLSZM (IBSI 3.8, zones of connected equal-level voxels by size), GLDZM
// (IBSI 3.9, the same zones by their distance to the ROI edge), NGTDM (3.10) and NGLDM (3.11),
// each per slice ("2D", averaged), slices merged ("2.5D") and in 3D.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

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

bool inside(const Roi& roi, const Region& r, long x, long y, long z) {
  return x >= 0 && y >= 0 && z >= r.z0 && x < long(roi.size[0]) && y < long(roi.size[1]) && z < r.z1 &&
         roi.in_roi[roi.index(x, y, z)];
}

// Distance to the edge of the morphological mask: 1 at the edge, growing by one per 4-connected
// (in-plane) or 6-connected (3D) step inwards.
std::vector<int> edge_distance(const Roi& roi, const Region& r) {
  std::vector<int> distance(roi.voxel_count(), 0);
  std::deque<std::array<long, 3>> queue;
  const std::vector<Offset> steps = r.in_plane
      ? std::vector<Offset>{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}}
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

// GLSZM and GLDZM of one region together: both walk the same zones.
std::pair<CountMatrix, CountMatrix> zone_matrices(const Roi& roi, const Region& r) {
  CountBuilder sizes, distances;
  double voxels = 0;
  const auto distance = edge_distance(roi, r);
  const auto connectivity = neighbours(r.in_plane);
  std::vector<uint8_t> seen(roi.voxel_count(), 0);
  std::vector<std::array<long, 3>> stack;
  for (long z = r.z0; z < r.z1; ++z)
    for (long y = 0; y < long(roi.size[1]); ++y)
      for (long x = 0; x < long(roi.size[0]); ++x) {
        if (!inside(roi, r, x, y, z)) continue;
        voxels += 1;
        const size_t start = roi.index(x, y, z);
        if (seen[start]) continue;
        const int level = roi.level[start];
        int size = 0, min_distance = std::numeric_limits<int>::max();
        seen[start] = 1;
        stack.push_back({x, y, z});
        while (!stack.empty()) {
          auto [a, b, c] = stack.back();
          stack.pop_back();
          ++size;
          min_distance = std::min(min_distance, distance[roi.index(a, b, c)]);
          for (auto& o : connectivity) {
            const long a2 = a + o[0], b2 = b + o[1], c2 = c + o[2];
            if (!inside(roi, r, a2, b2, c2)) continue;
            const size_t k = roi.index(a2, b2, c2);
            if (seen[k] || roi.level[k] != level) continue;
            seen[k] = 1;
            stack.push_back({a2, b2, c2});
          }
        }
        sizes.add(level, size);
        distances.add(level, std::max(min_distance, 1));
      }
  return {sizes.build(voxels), distances.build(voxels)};
}

// NGTDM sums per level: n (voxels with a neighbour) and s (sum |level - neighbour mean|).
struct Ngtdm {
  std::map<int, double> n, s;
  void merge(const Ngtdm& o) {
    for (auto& [l, v] : o.n) n[l] += v;
    for (auto& [l, v] : o.s) s[l] += v;
  }
};

Ngtdm ngtdm_of(const Roi& roi, const Region& r) {
  Ngtdm m;
  const auto around = neighbours(r.in_plane);
  for (long z = r.z0; z < r.z1; ++z)
    for (long y = 0; y < long(roi.size[1]); ++y)
      for (long x = 0; x < long(roi.size[0]); ++x) {
        if (!inside(roi, r, x, y, z)) continue;
        double sum = 0, count = 0;
        for (auto& o : around)
          if (inside(roi, r, x + o[0], y + o[1], z + o[2])) {
            sum += roi.level[roi.index(x + o[0], y + o[1], z + o[2])];
            count += 1;
          }
        if (count == 0) continue;  // no neighbourhood: IBSI leaves the voxel out
        const int level = roi.level[roi.index(x, y, z)];
        m.n[level] += 1;
        m.s[level] += std::abs(level - sum / count);
      }
  return m;
}

std::vector<double> ngtdm_values(const Ngtdm& m) {
  double nvc = 0, s_total = 0;
  for (auto& [l, v] : m.n) nvc += v;
  for (auto& [l, v] : m.s) s_total += v;
  std::vector<std::pair<double, double>> ps;  // (level, p) with p > 0, and s per level
  std::map<int, double> p;
  for (auto& [l, v] : m.n) p[l] = v / nvc;
  const double ngp = static_cast<double>(p.size());
  double ps_sum = 0;
  for (auto& [l, pv] : p) ps_sum += pv * m.s.at(l);
  double contrast_sum = 0, busy_den = 0, complexity = 0, strength_num = 0;
  for (auto& [i, pi] : p)
    for (auto& [j, pj] : p) {
      contrast_sum += pi * pj * double(i - j) * double(i - j);
      busy_den += std::abs(i * pi - j * pj);
      complexity += std::abs(i - j) * (pi * m.s.at(i) + pj * m.s.at(j)) / (pi + pj);
      strength_num += (pi + pj) * double(i - j) * double(i - j);
    }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double coarseness = ps_sum > 0 ? 1.0 / ps_sum : 1e6;  // PyRadiomics and IBSI cap a flat region
  const double contrast = ngp > 1 ? contrast_sum / (ngp * (ngp - 1)) * s_total / nvc : 0;
  const double busyness = busy_den > 0 ? ps_sum / busy_den : (ngp > 1 ? nan : 0);
  const double strength = s_total > 0 ? strength_num / s_total : 0;
  return {coarseness, contrast, busyness, complexity / nvc, strength};
}

CountMatrix ngldm_of(const Roi& roi, const Region& r) {
  CountBuilder counts;
  double voxels = 0;
  const auto around = neighbours(r.in_plane);
  for (long z = r.z0; z < r.z1; ++z)
    for (long y = 0; y < long(roi.size[1]); ++y)
      for (long x = 0; x < long(roi.size[0]); ++x) {
        if (!inside(roi, r, x, y, z)) continue;
        const int level = roi.level[roi.index(x, y, z)];
        int dependence = 1;
        for (auto& o : around)
          if (inside(roi, r, x + o[0], y + o[1], z + o[2]) && roi.level[roi.index(x + o[0], y + o[1], z + o[2])] == level)
            ++dependence;
        counts.add(level, dependence);
        voxels += 1;
      }
  return counts.build(voxels);
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
void aggregate(const Roi& roi, FeatureList& out, const char* family,
               const std::vector<std::pair<const char*, const char*>>& names, const Aggregations& only,
               Compute compute, Values values) {
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

const std::vector<std::pair<const char*, const char*>> kGlszmNames = {
    {"small_zone_emphasis", "5QRC"}, {"large_zone_emphasis", "48P8"},
    {"low_grey_level_zone_emphasis", "XMSY"}, {"high_grey_level_zone_emphasis", "5GN9"},
    {"small_zone_low_grey_level_emphasis", "5RAI"}, {"small_zone_high_grey_level_emphasis", "HW1V"},
    {"large_zone_low_grey_level_emphasis", "YH51"}, {"large_zone_high_grey_level_emphasis", "J17V"},
    {"grey_level_non_uniformity", "JNSA"}, {"normalised_grey_level_non_uniformity", "Y1RO"},
    {"zone_size_non_uniformity", "4JP3"}, {"normalised_zone_size_non_uniformity", "VB3A"},
    {"zone_percentage", "P30P"}, {"grey_level_variance", "BYLV"}, {"zone_size_variance", "3NSA"},
    {"zone_size_entropy", "GU8N"}};

const std::vector<std::pair<const char*, const char*>> kGldzmNames = {
    {"small_distance_emphasis", "0GBI"}, {"large_distance_emphasis", "MB4I"},
    {"low_grey_level_zone_emphasis", "S1RA"}, {"high_grey_level_zone_emphasis", "K26C"},
    {"small_distance_low_grey_level_emphasis", "RUVG"}, {"small_distance_high_grey_level_emphasis", "DKNJ"},
    {"large_distance_low_grey_level_emphasis", "A7WM"}, {"large_distance_high_grey_level_emphasis", "KLTH"},
    {"grey_level_non_uniformity", "VFT7"}, {"normalised_grey_level_non_uniformity", "7HP3"},
    {"zone_distance_non_uniformity", "V294"}, {"normalised_zone_distance_non_uniformity", "IATH"},
    {"zone_percentage", "VIWW"}, {"grey_level_variance", "QK93"}, {"zone_distance_variance", "7WT1"},
    {"zone_distance_entropy", "GBDU"}};

const std::vector<std::pair<const char*, const char*>> kNgtdmNames = {
    {"coarseness", "QCDE"}, {"contrast", "65HE"}, {"busyness", "NQ30"}, {"complexity", "HDEZ"},
    {"strength", "1X9X"}};

const std::vector<std::pair<const char*, const char*>> kNgldmNames = {
    {"low_dependence_emphasis", "SODN"}, {"high_dependence_emphasis", "IMOQ"},
    {"low_grey_level_count_emphasis", "TL9H"}, {"high_grey_level_count_emphasis", "OAE7"},
    {"low_dependence_low_grey_level_emphasis", "EQ3F"}, {"low_dependence_high_grey_level_emphasis", "JA6D"},
    {"high_dependence_low_grey_level_emphasis", "NBZI"}, {"high_dependence_high_grey_level_emphasis", "9QMG"},
    {"grey_level_non_uniformity", "FP8K"}, {"normalised_grey_level_non_uniformity", "5SPA"},
    {"dependence_count_non_uniformity", "Z87G"}, {"normalised_dependence_count_non_uniformity", "OKJI"},
    {"dependence_count_percentage", "6XV8"}, {"grey_level_variance", "1PFV"},
    {"dependence_count_variance", "DNX2"}, {"dependence_count_entropy", "FCBV"},
    {"dependence_count_energy", "CAS9"}};

}  // namespace

FeatureList glszm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  aggregate<CountMatrix>(roi, out, "glszm", kGlszmNames, only,
                         [&](const Region& r) { return zone_matrices(roi, r).first; }, size_matrix_features);
  return out;
}

FeatureList gldzm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  aggregate<CountMatrix>(roi, out, "gldzm", kGldzmNames, only,
                         [&](const Region& r) { return zone_matrices(roi, r).second; }, size_matrix_features);
  return out;
}

FeatureList ngtdm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  aggregate<Ngtdm>(roi, out, "ngtdm", kNgtdmNames, only, [&](const Region& r) { return ngtdm_of(roi, r); }, ngtdm_values);
  return out;
}

FeatureList ngldm_features(const Roi& roi, const Aggregations& only) {
  FeatureList out;
  aggregate<CountMatrix>(roi, out, "ngldm", kNgldmNames, only, [&](const Region& r) { return ngldm_of(roi, r); }, ngldm_values);
  return out;
}

}  // namespace vbiopsy::encoders::radiomics
