#pragma once
// Tumour habitats, two levels as in habitat imaging practice:
//   1. per case, supervoxels: k-means of the tumour's voxel feature vectors (standardised with the
//      training cohort's means and SDs);
//   2. per cohort, habitats: k-means of all training cases' supervoxel centres (weighted by their
//      voxel counts), k chosen over a range by the Calinski-Harabasz index (default) or the mean
//      silhouette; habitats are numbered
//      by ascending first feature, so habitat 1 means the same in every patient.
// The cohort model is fitted on training cases only and then applied to any case; the model
// records which cases it was fitted on, so a cross-validation fold can prove it never saw its test
// cases. Fragments smaller than min_fragment_voxels are merged into the surrounding habitat.
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "core/image.h"

namespace vbiopsy::modalities::mri {

// One case's voxel features inside its region: row i is the voxel at region offset voxels[i].
struct CaseVoxels {
  std::string case_id;
  core::Geometry geometry;
  std::vector<size_t> voxels;
  Eigen::MatrixXd features;  // n x d, raw (unstandardised)
};

// maps: one image per feature, on the region's grid (e.g. wash-in, wash-out, SER, ADC). Voxels with
// a non-finite feature are left out.
CaseVoxels case_voxels(const std::string& case_id, const std::vector<const core::Image*>& maps,
                       const core::Mask& region);

struct HabitatOptions {
  int supervoxels_per_case = 40;
  int min_habitats = 2, max_habitats = 6;
  int fixed_habitats = 0;  // > 0: use this k instead of choosing
  enum class Criterion { kCalinskiHarabasz, kSilhouette } criterion = Criterion::kCalinskiHarabasz;
  int min_fragment_voxels = 3;
  uint64_t seed = 1;
};

struct HabitatModel {
  std::vector<std::string> training_case_ids;
  Eigen::RowVectorXd mean, sd;           // standardisation, from training voxels
  Eigen::MatrixXd centroids;             // k x d in standardised units, ordered by first feature
  std::vector<double> criterion_values;  // per k tried, from min_habitats (the log of the choice)
  int habitats() const { return int(centroids.rows()); }
};

// Cases' supervoxels in parallel over `threads`; the model does not depend on it.
HabitatModel fit_habitat_model(const std::vector<CaseVoxels>& training, const HabitatOptions& options,
                               unsigned threads = 1);

// The case's habitat label map on its grid: 0 outside the region, 1..k inside.
core::Mask apply_habitat_model(const HabitatModel& model, const CaseVoxels& c, const HabitatOptions& options);

// One cross-validation fold: the model is fitted on cases[train] only and applied to cases[test];
// returns the test cases' label maps (in test order) and, if asked, the model.
std::vector<core::Mask> habitats_for_fold(const std::vector<CaseVoxels>& cases, const std::vector<size_t>& train,
                                          const std::vector<size_t>& test, const HabitatOptions& options,
                                          HabitatModel* model_out = nullptr);

// Volume fraction of each habitat 1..k within the labelled voxels.
std::vector<double> habitat_fractions(const core::Mask& labels, int habitats);

}  // namespace vbiopsy::modalities::mri
