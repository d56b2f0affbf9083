#include "encoders/radiomics/texture_common.h"

#include <cmath>

namespace vbiopsy::encoders::radiomics::detail {

const std::vector<Offset>& directions_3d() {
  static const std::vector<Offset> kDirections = {
      {1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {1, -1, 0}, {0, 0, 1}, {1, 0, 1}, {1, 0, -1},
      {0, 1, 1}, {0, 1, -1}, {1, 1, 1}, {1, 1, -1}, {1, -1, 1}, {1, -1, -1}};
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

std::vector<double> size_matrix_features(const CountMatrix& m) {
  double ns = 0;
  std::map<int, double> by_level, by_size;
  for (auto& [key, c] : m.counts) {
    ns += c;
    by_level[key.first] += c;
    by_size[key.second] += c;
  }
  double se = 0, le = 0, lg = 0, hg = 0, slg = 0, shg = 0, llg = 0, lhg = 0, mu_i = 0, mu_j = 0, entropy = 0;
  for (auto& [key, c] : m.counts) {
    const double i = key.first, j = key.second, p = c / ns;
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
  for (auto& [key, c] : m.counts) {
    const double p = c / ns;
    var_i += (key.first - mu_i) * (key.first - mu_i) * p;
    var_j += (key.second - mu_j) * (key.second - mu_j) * p;
  }
  double glnu = 0, snu = 0;
  for (auto& [l, c] : by_level) glnu += c * c;
  for (auto& [s, c] : by_size) snu += c * c;
  return {se / ns, le / ns, lg / ns, hg / ns, slg / ns, shg / ns, llg / ns, lhg / ns,
          glnu / ns, glnu / (ns * ns), snu / ns, snu / (ns * ns), ns / m.voxels, var_i, var_j, entropy};
}

std::vector<double> mean_of(const std::vector<std::vector<double>>& rows) {
  if (rows.empty()) return {};
  std::vector<double> mean(rows.front().size(), 0.0);
  for (auto& row : rows)
    for (size_t k = 0; k < row.size(); ++k) mean[k] += row[k];
  for (auto& v : mean) v /= static_cast<double>(rows.size());
  return mean;
}

void append(FeatureList& out, const char* family, const std::vector<std::pair<const char*, const char*>>& names,
            const std::vector<double>& values, const std::string& aggregation) {
  for (size_t k = 0; k < names.size(); ++k)
    out.push_back({family, names[k].first, names[k].second, aggregation,
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
