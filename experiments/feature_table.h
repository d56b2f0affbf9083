#pragma once
// The cohort as the experiment runner sees it: per case its label, site and one block of values
// per modality (radiomics columns of `vbiopsy extract` by prefix mri_ / mg_ / us_, and the clinical
// variables of the manifest), with presence per case. Cases without a determinate HER2 label or
// without a features row are left out and named with the reason.
#include <Eigen/Dense>

#include <string>
#include <utility>
#include <vector>

#include "core/csv.h"
#include "datasets/manifest.h"

namespace vbiopsy::experiments {

struct FeatureBlock {
  std::string modality;
  std::vector<std::string> columns;
  Eigen::MatrixXd values;     // [cases, columns], NaN = missing value
  std::vector<bool> present;  // per case
};

struct FeatureTable {
  std::vector<std::string> case_ids, patient_ids, sites;
  std::vector<int> labels;  // 0 zero, 1 low, 2 positive
  std::vector<FeatureBlock> blocks;
  std::vector<std::pair<std::string, std::string>> excluded;  // case_id, reason

  const FeatureBlock& block(const std::string& modality) const;
  size_t size() const { return case_ids.size(); }
};

// modalities: any of mri, mg, us, clinical.
FeatureTable build_feature_table(const datasets::Cohort& cohort, const core::CsvTable& features,
                                 const std::vector<std::string>& modalities);

}  // namespace vbiopsy::experiments
