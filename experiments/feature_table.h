#pragma once
// The cohort as the experiment runner sees it: per case its label, site and one block of values
// per modality (radiomics columns of `vbiopsy extract` by prefix mri_ / mg_ / us_, and the clinical
// variables of the manifest), with presence per case. Cases without a determinate HER2 label or
// without a features row are left out and named with the reason.
#include <Eigen/Dense>

#include <map>
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
  std::vector<int> labels;  // 0 zero, 1 low, 2 positive; -1 unknown (tables built for prediction)
  std::vector<FeatureBlock> blocks;
  std::vector<std::pair<std::string, std::string>> excluded;  // case_id, reason

  const FeatureBlock& block(const std::string& modality) const;
  size_t size() const { return case_ids.size(); }
};

// modalities: any of mri, mg, us, clinical, habitats (an empty block, filled per fold by
// fold_habitats.h; present where the case has an MRI). column_prefixes: per modality, the feature-column
// prefixes to keep (all `<modality>_` columns when absent). The habitat columns of `vbiopsy
// extract` (mri_habitats_*, mri_dce1_habitat*) are never used: their clustering was fitted on every
// case, test cases included, which would leak into cross-validation. With labelled_only false
// (cases to predict) cases without a determinate label are kept, with label -1.
FeatureTable build_feature_table(const datasets::Cohort& cohort, const core::CsvTable& features,
                                 const std::vector<std::string>& modalities,
                                 const std::map<std::string, std::vector<std::string>>& column_prefixes = {},
                                 bool labelled_only = true);

bool is_cohort_fitted_column(const std::string& column);

// The features with the columns of `extra` (a CSV with case_id) added by case id; cases extra lacks
// get empty cells. A column both tables have is an error naming it.
core::CsvTable join_by_case_id(const core::CsvTable& features, const core::CsvTable& extra);

}  // namespace vbiopsy::experiments
