#pragma once
// The cohort as the experiment runner sees it: per case its label, site and one block of values
// per modality (radiomics columns of `vbiopsy extract` by prefix mri_ / mg_ / us_, and the clinical
// variables of the manifest), with presence per case. Cases without a determinate HER2 label or
// without a features row are left out and named with the reason.
#include <Eigen/Dense>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/csv.h"
#include "datasets/manifest.h"
#include "experiments/clinical_block.h"
#include "experiments/image_inputs.h"

namespace vbiopsy::experiments {

struct FeatureBlock {
  std::string modality;
  std::vector<std::string> columns;
  Eigen::MatrixXd values;     // [cases, columns], NaN = missing value
  std::vector<bool> present;  // per case
  // [cases, columns]: the same features from a second segmentation (columns retest_<column> of
  // features.csv), for the ICC filter; no columns when the features have none.
  Eigen::MatrixXd retest;
};

struct FeatureTable {
  std::vector<std::string> case_ids, patient_ids, sites;
  std::vector<int> labels;  // 0 zero, 1 low, 2 positive; -1 unknown (tables built for prediction)
  std::vector<FeatureBlock> blocks;
  // Crops for the image encoders (image_inputs.h), one per (modality, encoder); shared, since
  // tables are copied per fold and crops are large. A case is present for an image encoder when
  // both its block and its crop are.
  std::vector<std::shared_ptr<const ImageBlock>> images;
  std::vector<std::pair<std::string, std::string>> excluded;  // case_id, reason
  ClinicalSpec clinical;  // the clinical block's columns (empty without the modality)

  const FeatureBlock& block(const std::string& modality) const;
  // The crops of a modality for an encoder, or nullptr.
  const ImageBlock* image_block(const std::string& modality, const std::string& encoder) const;
  size_t size() const { return case_ids.size(); }
};

// modalities: any of mri, mg, us, clinical, habitats (an empty block, filled per fold by
// fold_habitats.h; present where the case has an MRI). column_prefixes: per modality, the feature-column
// prefixes to keep (all `<modality>_` columns when absent; for clinical, the variables, see
// clinical_block.h). clinical: the clinical block's columns as a bundle recorded them (a new case
// then gets the training cohort's columns); nullptr to derive them from the cohort. The habitat columns of `vbiopsy
// extract` (mri_habitats_*, mri_dce1_habitat*) are never used: their clustering was fitted on every
// case, test cases included, which would leak into cross-validation. With labelled_only false
// (cases to predict) cases without a determinate label are kept, with label -1. The `image_only`
// modalities (read by image encoders alone) get a block without columns, present where the case
// has the modality; `features` then needs no column for them.
FeatureTable build_feature_table(const datasets::Cohort& cohort, const core::CsvTable& features,
                                 const std::vector<std::string>& modalities,
                                 const std::map<std::string, std::vector<std::string>>& column_prefixes = {},
                                 bool labelled_only = true, const std::set<std::string>& image_only = {},
                                 const ClinicalSpec* clinical = nullptr);

// A features table with only a case_id column holding every case of the cohort: the input of
// build_feature_table when no modality reads feature columns.
core::CsvTable case_id_table(const datasets::Cohort& cohort);

// Adds a modality's crops to the table and marks its cases without a crop as absent in its block.
void add_image_block(FeatureTable& table, ImageBlock block);

bool is_cohort_fitted_column(const std::string& column);

// The features with the columns of `extra` (a CSV with case_id) added by case id; cases extra lacks
// get empty cells, named in a warning. A column both tables have is an error naming it.
core::CsvTable join_by_case_id(const core::CsvTable& features, const core::CsvTable& extra);

}  // namespace vbiopsy::experiments
