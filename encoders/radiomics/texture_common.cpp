#include "encoders/radiomics/texture_common.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace vbiopsy::encoders::radiomics::detail {

const std::vector<Offset>& directions_3d() {
  static const std::vector<Offset> kDirections = {{1, 0, 0},  {0, 1, 0},  {1, 1, 0},  {1, -1, 0}, {0, 0, 1},
                                                  {1, 0, 1},  {1, 0, -1}, {0, 1, 1},  {0, 1, -1}, {1, 1, 1},
                                                  {1, 1, -1}, {1, -1, 1}, {1, -1, -1}};
  return kDirections;
}

const std::vector<Offset>& directions_2d() {
  static const std::vector<Offset> kDirections(directions_3d().begin(), directions_3d().begin() + 4);
  return kDirections;
}

std::vector<Offset> neighbours(bool in_plane) {
  std::vector<Offset> out;
  for (int dz = in_plane ? 0 : -1; dz <= (in_plane ? 0 : 1); ++dz)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx)
        if (dx || dy || dz) out.push_back({dx, dy, dz});
  return out;
}

void CountMatrix::merge(const CountMatrix& other) {
  std::vector<Entry> merged;
  merged.reserve(entries.size() + other.entries.size());
  auto a = entries.cbegin();
  auto b = other.entries.cbegin();
  auto before = [](const Entry& x, const Entry& y) { return std::tie(x.level, x.size) < std::tie(y.level, y.size); };
  while (a != entries.cend() || b != other.entries.cend()) {
    if (b == other.entries.cend() || (a != entries.cend() && before(*a, *b)))
      merged.push_back(*a++);
    else if (a == entries.cend() || before(*b, *a))
      merged.push_back(*b++);
    else
      merged.push_back({a->level, a->size, (a++)->count + (b++)->count});
  }
  entries = std::move(merged);
  voxels += other.voxels;
}

CountBuilder::CountBuilder(int max_level, int max_size)
    : max_level_(std::max(max_level, 1)), max_size_(std::max(max_size, 1)) {
  constexpr double kMaxDenseCells = 1 << 22;
  if (double(std::max(max_level, 1)) * max_size_ <= kMaxDenseCells)
    dense_.assign(size_t(std::max(max_level, 1)) * size_t(max_size_), 0);
}

void CountBuilder::out_of_range(int level, int size) const {
  core::fail("texture matrix entry (level ", level, ", size ", size, ") outside 1..", max_level_, " x 1..", max_size_,
             ": the region's grey levels are not those its discretisation announced");
}

CountMatrix CountBuilder::build(double voxels) {
  CountMatrix m;
  m.voxels = voxels;
  if (!dense_.empty()) {
    for (size_t k = 0; k < dense_.size(); ++k)
      if (dense_[k])
        m.entries.push_back({int(k / size_t(max_size_)) + 1, int(k % size_t(max_size_)) + 1, double(dense_[k])});
    std::fill(dense_.begin(), dense_.end(), 0);
    return m;
  }
  std::sort(keys_.begin(), keys_.end());
  for (size_t i = 0; i < keys_.size();) {
    size_t j = i;
    while (j < keys_.size() && keys_[j] == keys_[i]) ++j;
    m.entries.push_back({int(keys_[i] >> 32), int(keys_[i] & 0xffffffffu), double(j - i)});
    i = j;
  }
  keys_.clear();
  return m;
}

PaddedLevels::PaddedLevels(const Roi& roi) : size{roi.size[0] + 2, roi.size[1] + 2, roi.size[2] + 2} {
  level.assign(size[0] * size[1] * size[2], 0);
  slice_start.push_back(0);
  for (size_t z = 0; z < roi.size[2]; ++z) {
    for (size_t y = 0; y < roi.size[1]; ++y)
      for (size_t x = 0; x < roi.size[0]; ++x) {
        const size_t i = roi.index(x, y, z);
        if (!roi.in_roi[i]) continue;
        const size_t p = (x + 1) + size[0] * ((y + 1) + size[1] * (z + 1));
        level[p] = roi.level[i];
        voxels.push_back(p);
      }
    slice_start.push_back(voxels.size());
  }
}

std::vector<double> size_matrix_features(const CountMatrix& m) {
  double ns = 0;
  int max_level = 0, max_size = 0;
  for (auto& e : m.entries) {
    max_level = std::max(max_level, e.level);
    max_size = std::max(max_size, e.size);
  }
  // Dense marginals: absent keys add exact zeros, so the sums equal those over present keys.
  std::vector<double> by_level(size_t(max_level) + 1, 0.0), by_size(size_t(max_size) + 1, 0.0);
  for (auto& e : m.entries) {
    ns += e.count;
    by_level[size_t(e.level)] += e.count;
    by_size[size_t(e.size)] += e.count;
  }
  double se = 0, le = 0, lg = 0, hg = 0, slg = 0, shg = 0, llg = 0, lhg = 0, mu_i = 0, mu_j = 0, entropy = 0;
  for (auto& e : m.entries) {
    const double i = e.level, j = e.size, c = e.count, p = c / ns;
    se += c / (j * j);
    le += c * j * j;
    lg += c / (i * i);
    hg += c * i * i;
    slg += c / (i * i * j * j);
    shg += c * i * i / (j * j);
    llg += c * j * j / (i * i);
    lhg += c * i * i * j * j;
    mu_i += i * p;
    mu_j += j * p;
    entropy -= p * std::log2(p);
  }
  double var_i = 0, var_j = 0;
  for (auto& e : m.entries) {
    const double p = e.count / ns;
    var_i += (e.level - mu_i) * (e.level - mu_i) * p;
    var_j += (e.size - mu_j) * (e.size - mu_j) * p;
  }
  double glnu = 0, snu = 0;
  for (double c : by_level) glnu += c * c;
  for (double c : by_size) snu += c * c;
  return {se / ns,   le / ns,          lg / ns,  hg / ns,         slg / ns,      shg / ns, llg / ns, lhg / ns,
          glnu / ns, glnu / (ns * ns), snu / ns, snu / (ns * ns), ns / m.voxels, var_i,    var_j,    entropy};
}

std::vector<double> mean_of(const std::vector<std::vector<double>>& rows) {
  if (rows.empty()) return {};
  std::vector<double> mean(rows.front().size(), 0.0);
  for (auto& row : rows)
    for (size_t k = 0; k < row.size(); ++k) mean[k] += row[k];
  for (auto& v : mean) v /= static_cast<double>(rows.size());
  return mean;
}

void append(FeatureList& out, const char* family, const FeatureNames& names, const std::vector<double>& values,
            const std::string& aggregation) {
  for (size_t k = 0; k < names.size(); ++k)
    out.push_back({family, names[k].ibsi, names[k].id, aggregation,
                   k < values.size() ? values[k] : std::numeric_limits<double>::quiet_NaN()});
}

std::vector<size_t> roi_slices(const Roi& roi) {
  std::vector<size_t> slices;
  const size_t plane = roi.size[0] * roi.size[1];
  for (size_t z = 0; z < roi.size[2]; ++z) {
    for (size_t i = z * plane; i < (z + 1) * plane; ++i)
      if (roi.in_roi[i]) {
        slices.push_back(z);
        break;
      }
  }
  return slices;
}

}  // namespace vbiopsy::encoders::radiomics::detail
