#include "encoders/radiomics/first_order.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace vbiopsy::encoders::radiomics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The statistics shared by the intensity-based and the histogram families, in IBSI's order.
struct Moments {
  double mean, variance, skewness, kurtosis, median, minimum, p10, p90, maximum, iqr, range, mad, rmad, medad, cov,
      qcod;
};

Moments moments(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double n = static_cast<double>(v.size());
  Moments m{};
  m.mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double m2 = 0, m3 = 0, m4 = 0, mad = 0;
  for (double x : v) {
    const double d = x - m.mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
    mad += std::abs(d);
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  m.variance = m2;
  // A flat region has no defined shape: IBSI leaves skewness and kurtosis undefined (NaN).
  m.skewness = m2 > 0 ? m3 / std::pow(m2, 1.5) : kNaN;
  m.kurtosis = m2 > 0 ? m4 / (m2 * m2) - 3.0 : kNaN;
  m.median = percentile(v, 50);
  m.minimum = v.front();
  m.maximum = v.back();
  m.p10 = percentile(v, 10);
  m.p90 = percentile(v, 90);
  const double p25 = percentile(v, 25), p75 = percentile(v, 75);
  m.iqr = p75 - p25;
  m.range = m.maximum - m.minimum;
  m.mad = mad / n;
  double robust_sum = 0, robust_n = 0;
  for (double x : v)
    if (x >= m.p10 && x <= m.p90) {
      robust_sum += x;
      ++robust_n;
    }
  const double robust_mean = robust_sum / robust_n;
  double rmad = 0, medad = 0;
  for (double x : v) {
    if (x >= m.p10 && x <= m.p90) rmad += std::abs(x - robust_mean);
    medad += std::abs(x - m.median);
  }
  m.rmad = rmad / robust_n;
  m.medad = medad / n;
  m.cov = m.mean != 0 ? std::sqrt(m2) / m.mean : kNaN;
  m.qcod = (p75 + p25) != 0 ? (p75 - p25) / (p75 + p25) : kNaN;
  return m;
}

}  // namespace

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return kNaN;
  const double position = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

FeatureList intensity_statistics(const Roi& roi) {
  const auto values = roi.roi_intensities();
  const Moments m = moments(values);
  double energy = 0;
  for (double x : values) energy += x * x;
  const double n = static_cast<double>(values.size());
  auto f = [](const char* name, const char* id, double v) { return Feature{"stats", name, id, "", v}; };
  return {f("mean_intensity", "Q4LE", m.mean),
          f("intensity_variance", "ECT3", m.variance),
          f("intensity_skewness", "KE2A", m.skewness),
          f("excess_intensity_kurtosis", "IPH6", m.kurtosis),
          f("median_intensity", "Y12H", m.median),
          f("minimum_intensity", "1GSF", m.minimum),
          f("10th_intensity_percentile", "QG58", m.p10),
          f("90th_intensity_percentile", "8DWT", m.p90),
          f("maximum_intensity", "84IY", m.maximum),
          f("intensity_interquartile_range", "SALO", m.iqr),
          f("intensity_range", "2OJQ", m.range),
          f("intensity_based_mean_absolute_deviation", "4FUA", m.mad),
          f("intensity_based_robust_mean_absolute_deviation", "1128", m.rmad),
          f("intensity_based_median_absolute_deviation", "N72L", m.medad),
          f("intensity_based_coefficient_of_variation", "7TET", m.cov),
          f("intensity_based_quartile_coefficient_of_dispersion", "9S40", m.qcod),
          f("intensity_based_energy", "N8CA", energy),
          f("root_mean_square_intensity", "5ZWQ", std::sqrt(energy / n))};
}

FeatureList intensity_histogram(const Roi& roi) {
  const auto levels = roi.roi_levels();
  std::vector<double> values(levels.begin(), levels.end());
  const Moments m = moments(values);
  const int ng = roi.levels;
  std::vector<double> counts(static_cast<size_t>(ng) + 1, 0.0);
  for (int l : levels) counts[static_cast<size_t>(l)] += 1;
  const double n = static_cast<double>(levels.size());
  double entropy = 0, uniformity = 0;
  int mode = 1;
  for (int i = 1; i <= ng; ++i) {
    const double p = counts[i] / n;
    if (p > 0) entropy -= p * std::log2(p);
    uniformity += p * p;
    if (counts[i] > counts[mode]) mode = i;
  }
  // Histogram gradient: central differences inside, one-sided at the first and last level.
  double max_gradient = -INFINITY, min_gradient = INFINITY;
  int max_at = 1, min_at = 1;
  for (int i = 1; i <= ng; ++i) {
    double g;
    if (ng == 1)
      g = 0;
    else if (i == 1)
      g = counts[2] - counts[1];
    else if (i == ng)
      g = counts[ng] - counts[ng - 1];
    else
      g = (counts[i + 1] - counts[i - 1]) / 2.0;
    if (g > max_gradient) max_gradient = g, max_at = i;
    if (g < min_gradient) min_gradient = g, min_at = i;
  }
  auto f = [](const char* name, const char* id, double v) { return Feature{"ih", name, id, "", v}; };
  return {f("mean_discretised_intensity", "X6K6", m.mean),
          f("discretised_intensity_variance", "CH89", m.variance),
          f("discretised_intensity_skewness", "88K1", m.skewness),
          f("excess_discretised_intensity_kurtosis", "C3I7", m.kurtosis),
          f("median_discretised_intensity", "WIFQ", m.median),
          f("minimum_discretised_intensity", "1PR8", m.minimum),
          f("10th_discretised_intensity_percentile", "GPMT", m.p10),
          f("90th_discretised_intensity_percentile", "OZ0C", m.p90),
          f("maximum_discretised_intensity", "3NCY", m.maximum),
          f("intensity_histogram_mode", "AMMC", mode),
          f("discretised_intensity_interquartile_range", "WR0O", m.iqr),
          f("discretised_intensity_range", "5Z3W", m.range),
          f("intensity_histogram_mean_absolute_deviation", "D2ZX", m.mad),
          f("intensity_histogram_robust_mean_absolute_deviation", "WRZB", m.rmad),
          f("intensity_histogram_median_absolute_deviation", "4RNL", m.medad),
          f("intensity_histogram_coefficient_of_variation", "CWYJ", m.cov),
          f("intensity_histogram_quartile_coefficient_of_dispersion", "SLWD", m.qcod),
          f("discretised_intensity_entropy", "TLU2", entropy),
          f("discretised_intensity_uniformity", "BJ5W", uniformity),
          f("maximum_histogram_gradient", "12CE", max_gradient),
          f("maximum_histogram_gradient_intensity", "8E6O", max_at),
          f("minimum_histogram_gradient", "VQB3", min_gradient),
          f("minimum_histogram_gradient_intensity", "RHQZ", min_at)};
}

FeatureList intensity_volume_histogram(const Roi& roi) {
  // On the discretised levels: fraction of the volume at or above each level.
  const auto levels = roi.roi_levels();
  const auto [lo_it, hi_it] = std::minmax_element(levels.begin(), levels.end());
  const int lo = *lo_it, hi = *hi_it;
  const double n = static_cast<double>(levels.size());
  std::map<int, double> at_least;  // level -> volume fraction with level >= it
  for (int l = lo; l <= hi; ++l) at_least[l] = 0;
  for (int l : levels)
    for (int k = lo; k <= l; ++k) at_least[k] += 1 / n;
  auto volume_at_fraction = [&](double fraction) {  // V_x: volume with intensity fraction >= x
    double v = 0;
    for (int l : levels) {
      const double gamma = hi > lo ? double(l - lo) / double(hi - lo) : 0;
      if (gamma >= fraction) v += 1;
    }
    return v / n;
  };
  auto intensity_at_fraction = [&](double fraction) {  // I_x: lowest level with V(level) < x
    for (int l = lo; l <= hi; ++l)
      if (at_least[l] < fraction) return double(l);
    return double(hi + 1);
  };
  const double v10 = volume_at_fraction(0.1), v90 = volume_at_fraction(0.9);
  const double i10 = intensity_at_fraction(0.1), i90 = intensity_at_fraction(0.9);
  auto f = [](const char* name, const char* id, double v) { return Feature{"ivh", name, id, "", v}; };
  return {f("volume_at_intensity_fraction_10", "BC2M", v10),
          f("volume_at_intensity_fraction_90", "BC2M", v90),
          f("intensity_at_volume_fraction_10", "GBPN", i10),
          f("intensity_at_volume_fraction_90", "GBPN", i90),
          f("volume_fraction_difference_between_intensity_fractions", "DDTU", v10 - v90),
          f("intensity_fraction_difference_between_volume_fractions", "CNV2", i10 - i90)};
}

FeatureList local_intensity(const core::Image& image, const Roi& roi) {
  // Mean intensity of every image voxel whose centre lies within a 1 cm^3 sphere around each ROI
  // voxel. The sphere is a stack of x-runs, one per (dy, dz); prefix sums along x over the ROI's
  // box grown by the sphere's reach give each run's sum in O(1).
  const double radius = std::cbrt(3.0 / (4.0 * M_PI) * 1000.0);  // mm
  const auto& g = image.geometry;
  long reach[3];
  for (int a = 0; a < 3; ++a) reach[a] = static_cast<long>(std::floor(radius / g.spacing[a]));
  struct Run {
    long dy, dz, half_width;
  };
  std::vector<Run> runs;
  for (long dz = -reach[2]; dz <= reach[2]; ++dz)
    for (long dy = -reach[1]; dy <= reach[1]; ++dy) {
      const double left = radius * radius - std::pow(dy * g.spacing[1], 2) - std::pow(dz * g.spacing[2], 2);
      if (left < 0) continue;
      long w = static_cast<long>(std::floor(std::sqrt(left) / g.spacing[0]));
      while ((w + 1) * g.spacing[0] * (w + 1) * g.spacing[0] <= left) ++w;  // guard sqrt rounding
      while (w > 0 && w * g.spacing[0] * w * g.spacing[0] > left) --w;
      runs.push_back({dy, dz, w});
    }
  // The box: ROI bounds grown by the reach, clipped to the image.
  long lo[3], hi[3];
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::max(0L, long(roi.offset[a]) - reach[a]);
    hi[a] = std::min(long(g.size[a]) - 1, long(roi.offset[a] + roi.size[a]) - 1 + reach[a]);
  }
  const long bx = hi[0] - lo[0] + 1, by = hi[1] - lo[1] + 1, bz = hi[2] - lo[2] + 1;
  std::vector<double> prefix(size_t((bx + 1) * by * bz), 0.0);  // prefix[x + 1] = sum of [lo, x]
  for (long z = 0; z < bz; ++z)
    for (long y = 0; y < by; ++y) {
      double* row = &prefix[size_t((bx + 1) * (y + by * z))];
      for (long x = 0; x < bx; ++x)
        row[x + 1] =
            row[x] + image.voxels[size_t(x + lo[0]) + g.size[0] * (size_t(y + lo[1]) + g.size[1] * size_t(z + lo[2]))];
    }
  auto sphere_mean = [&](long cx, long cy, long cz) {
    double sum = 0, count = 0;
    for (const auto& r : runs) {
      const long y = cy + r.dy, z = cz + r.dz;
      if (y < lo[1] || y > hi[1] || z < lo[2] || z > hi[2]) continue;
      const long x0 = std::max(cx - r.half_width, lo[0]), x1 = std::min(cx + r.half_width, hi[0]);
      const double* row = &prefix[size_t((bx + 1) * ((y - lo[1]) + by * (z - lo[2])))];
      sum += row[x1 - lo[0] + 1] - row[x0 - lo[0]];
      count += double(x1 - x0 + 1);
    }
    return sum / count;
  };
  double max_intensity = -INFINITY, local_peak = -INFINITY, global_peak = -INFINITY;
  for (size_t i = 0; i < roi.intensity.size(); ++i)
    if (roi.in_roi[i]) max_intensity = std::max<double>(max_intensity, roi.intensity[i]);
  for (size_t z = 0; z < roi.size[2]; ++z)
    for (size_t y = 0; y < roi.size[1]; ++y)
      for (size_t x = 0; x < roi.size[0]; ++x) {
        const size_t i = roi.index(x, y, z);
        if (!roi.in_roi[i]) continue;
        const double mean = sphere_mean(long(x + roi.offset[0]), long(y + roi.offset[1]), long(z + roi.offset[2]));
        global_peak = std::max(global_peak, mean);
        if (roi.intensity[i] == max_intensity) local_peak = std::max(local_peak, mean);
      }
  return {Feature{"li", "local_intensity_peak", "VJGA", "", local_peak},
          Feature{"li", "global_intensity_peak", "0F91", "", global_peak}};
}

}  // namespace vbiopsy::encoders::radiomics
