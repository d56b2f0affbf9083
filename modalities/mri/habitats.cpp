#include "modalities/mri/habitats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/parallel.h"
#include "core/random.h"
#include "modalities/mri/clustering.h"

namespace vbiopsy::modalities::mri {
namespace {

Eigen::MatrixXd standardised(const Eigen::MatrixXd& x, const HabitatModel& m) {
  return (x.rowwise() - m.mean).array().rowwise() / m.sd.array();
}

// Supervoxels of one case: centres (standardised units), sizes, and each voxel's supervoxel.
KMeansResult supervoxels(const Eigen::MatrixXd& z, const HabitatOptions& o, const std::string& case_id) {
  const int k = std::min<int>(o.supervoxels_per_case, int(z.rows()));
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : case_id) h = (h ^ c) * 1099511628211ULL;
  return kmeans(z, k, core::derive_seed(o.seed, {h}));
}

}  // namespace

CaseVoxels case_voxels(const std::string& case_id, const std::vector<const core::Image*>& maps,
                       const core::Mask& region) {
  if (maps.empty()) core::fail("habitats of case ", case_id, ": no feature maps");
  for (auto* m : maps) {
    const std::string mismatch = core::describe_grid_mismatch(m->geometry, region.geometry);
    if (!mismatch.empty())
      core::fail("habitats of case ", case_id, ": a feature map is not on the mask's grid: ", mismatch);
  }
  CaseVoxels c{case_id, region.geometry, {}, {}};
  for (size_t v = 0; v < region.voxels.size(); ++v) {
    if (!region.voxels[v]) continue;
    bool finite = true;
    for (auto* m : maps) finite = finite && std::isfinite(m->voxels[v]);
    if (finite) c.voxels.push_back(v);
  }
  if (c.voxels.empty()) core::fail("habitats of case ", case_id, ": no tumour voxel with finite features");
  c.features.resize(long(c.voxels.size()), long(maps.size()));
  for (size_t i = 0; i < c.voxels.size(); ++i)
    for (size_t f = 0; f < maps.size(); ++f) c.features(long(i), long(f)) = maps[f]->voxels[c.voxels[i]];
  return c;
}

HabitatModel fit_habitat_model(const std::vector<CaseVoxels>& training, const HabitatOptions& o, unsigned threads) {
  if (training.empty()) core::fail("habitat model: no training cases");
  HabitatModel model;
  const long d = training.front().features.cols();
  long n = 0;
  for (auto& c : training) {
    if (c.features.cols() != d)
      core::fail("habitat model: case ", c.case_id, " has ", c.features.cols(), " features, expected ", d);
    n += c.features.rows();
    model.training_case_ids.push_back(c.case_id);
  }
  model.mean = Eigen::RowVectorXd::Zero(d);
  for (auto& c : training) model.mean += c.features.colwise().sum();
  model.mean /= double(n);
  Eigen::RowVectorXd variance = Eigen::RowVectorXd::Zero(d);
  for (auto& c : training) variance += (c.features.rowwise() - model.mean).array().square().matrix().colwise().sum();
  model.sd = (variance / double(n)).array().sqrt();
  for (long f = 0; f < d; ++f)
    if (!(model.sd[f] > 0)) model.sd[f] = 1;  // a constant feature carries no information
  // Level 1: supervoxels of every training case, pooled.
  std::vector<Eigen::RowVectorXd> centres;
  std::vector<double> weights;
  std::vector<KMeansResult> per_case(training.size());
  core::parallel_for(training.size(), threads, [&](size_t i) {
    per_case[i] = supervoxels(standardised(training[i].features, model), o, training[i].case_id);
  });
  for (const auto& s : per_case) {
    std::vector<double> size(size_t(s.centroids.rows()), 0.0);
    for (int label : s.labels) size[size_t(label)] += 1;
    for (long k = 0; k < s.centroids.rows(); ++k)
      if (size[size_t(k)] > 0) {
        centres.push_back(s.centroids.row(k));
        weights.push_back(size[size_t(k)]);
      }
  }
  Eigen::MatrixXd pooled(long(centres.size()), d);
  for (size_t i = 0; i < centres.size(); ++i) pooled.row(long(i)) = centres[i];
  // Level 2: cohort habitats, k by the chosen criterion unless fixed.
  KMeansResult chosen;
  double best = -1;
  const int lo = o.fixed_habitats > 0 ? o.fixed_habitats : o.min_habitats;
  const int hi = o.fixed_habitats > 0 ? o.fixed_habitats : std::min<int>(o.max_habitats, int(pooled.rows()));
  for (int k = lo; k <= hi; ++k) {
    const KMeansResult r = kmeans(pooled, k, core::derive_seed(o.seed, {uint64_t(k), 99}), weights);
    const double score = o.criterion == HabitatOptions::Criterion::kSilhouette ? silhouette(pooled, r, weights)
                                                                               : calinski_harabasz(pooled, r, weights);
    model.criterion_values.push_back(score);
    if (score > best || chosen.centroids.size() == 0) best = score, chosen = r;
  }
  // Order habitats by their first feature so that labels are stable across fits.
  std::vector<long> order(size_t(chosen.centroids.rows()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](long a, long b) { return chosen.centroids(a, 0) < chosen.centroids(b, 0); });
  model.centroids.resize(chosen.centroids.rows(), d);
  for (size_t i = 0; i < order.size(); ++i) model.centroids.row(long(i)) = chosen.centroids.row(order[i]);
  return model;
}

core::Mask apply_habitat_model(const HabitatModel& model, const CaseVoxels& c, const HabitatOptions& o) {
  if (c.features.cols() != model.mean.cols())
    core::fail("habitat model expects ", model.mean.cols(), " features; case ", c.case_id, " has ", c.features.cols());
  const Eigen::MatrixXd z = standardised(c.features, model);
  const KMeansResult s = supervoxels(z, o, c.case_id);
  // Each supervoxel takes the nearest cohort habitat; its voxels follow it.
  std::vector<uint8_t> habitat_of(size_t(s.centroids.rows()));
  for (long k = 0; k < s.centroids.rows(); ++k) {
    long nearest = 0;
    double nearest_d = INFINITY;
    for (long h = 0; h < model.centroids.rows(); ++h) {
      const double dist = (s.centroids.row(k) - model.centroids.row(h)).squaredNorm();
      if (dist < nearest_d) nearest_d = dist, nearest = h;
    }
    habitat_of[size_t(k)] = uint8_t(nearest + 1);
  }
  core::Mask labels(c.geometry);
  for (size_t i = 0; i < c.voxels.size(); ++i) labels.voxels[c.voxels[i]] = habitat_of[size_t(s.labels[i])];
  // Merge fragments (26-connected runs of one habitat) smaller than the limit into their most
  // frequent neighbouring habitat.
  const auto& g = c.geometry;
  std::vector<uint8_t> seen(labels.voxels.size(), 0);
  for (size_t start : c.voxels) {
    if (seen[start]) continue;
    const uint8_t h = labels.voxels[start];
    std::vector<size_t> component{start}, stack{start};
    seen[start] = 1;
    std::vector<double> neighbour_votes(256, 0.0);
    while (!stack.empty()) {
      const size_t v = stack.back();
      stack.pop_back();
      const long x = long(v % g.size[0]), y = long((v / g.size[0]) % g.size[1]), zz = long(v / (g.size[0] * g.size[1]));
      for (long dz = -1; dz <= 1; ++dz)
        for (long dy = -1; dy <= 1; ++dy)
          for (long dx = -1; dx <= 1; ++dx) {
            const long a = x + dx, b = y + dy, cz = zz + dz;
            if (a < 0 || b < 0 || cz < 0 || a >= long(g.size[0]) || b >= long(g.size[1]) || cz >= long(g.size[2]))
              continue;
            const size_t u = size_t(a) + g.size[0] * (size_t(b) + g.size[1] * size_t(cz));
            if (labels.voxels[u] == 0) continue;
            if (labels.voxels[u] != h) {
              neighbour_votes[labels.voxels[u]] += 1;
              continue;
            }
            if (!seen[u]) {
              seen[u] = 1;
              component.push_back(u);
              stack.push_back(u);
            }
          }
    }
    if (int(component.size()) >= o.min_fragment_voxels) continue;
    const auto best = std::max_element(neighbour_votes.begin(), neighbour_votes.end());
    if (*best > 0)
      for (size_t u : component) labels.voxels[u] = uint8_t(best - neighbour_votes.begin());
  }
  return labels;
}

std::vector<core::Mask> habitats_for_fold(const std::vector<CaseVoxels>& cases, const std::vector<size_t>& train,
                                          const std::vector<size_t>& test, const HabitatOptions& options,
                                          HabitatModel* model_out) {
  std::vector<CaseVoxels> training;
  for (size_t i : train) {
    for (size_t j : test)
      if (i == j)
        core::fail("habitats: case ", cases[i].case_id, " is in both the training and the test part of a fold");
    training.push_back(cases.at(i));
  }
  const HabitatModel model = fit_habitat_model(training, options);
  std::vector<core::Mask> labels;
  for (size_t j : test) labels.push_back(apply_habitat_model(model, cases.at(j), options));
  if (model_out) *model_out = model;
  return labels;
}

std::vector<double> habitat_fractions(const core::Mask& labels, int habitats) {
  std::vector<double> fractions(size_t(habitats), 0.0);
  double total = 0;
  for (uint8_t l : labels.voxels)
    if (l > 0 && l <= habitats) {
      fractions[l - 1] += 1;
      total += 1;
    }
  for (auto& f : fractions) f = total > 0 ? f / total : NAN;
  return fractions;
}

}  // namespace vbiopsy::modalities::mri
