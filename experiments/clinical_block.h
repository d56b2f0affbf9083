#pragma once
// The clinical variables as model inputs. Which columns the clinical block holds is fixed by the
// training cohort and recorded in exported bundles, so a new case gets exactly the same columns.
//   Canonical variables (datasets/clinical.h): numbers as they are (er_percent, pr_percent,
//   ki67_percent, age, tumour_size_mm, grade), statuses as 0/1 (er_status, pr_status, node_status,
//   multifocal), categories one-hot (menopausal_status=pre|peri|post,
//   histology=ductal|lobular|mixed|other).
//   Other columns of the clinical table, when [columns] clinical names them: numeric when every
//   value given is a number, else categorical, one-hot over the categories the cohort holds
//   ("<column>=<category>", lower case).
// A missing value is NaN in every column of its variable (imputed inside each fold like any
// feature). Columns that carry the label (ihc, ish, her2...) are refused.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "datasets/manifest.h"

namespace vbiopsy::experiments {

struct ClinicalColumn {
  std::string name;      // the block's column: "age", "er_status", "histology=lobular", "hr"
  std::string variable;  // canonical variable or the clinical table's column, as the user names it
  std::string category;  // the one-hot category; empty for a number or a 0/1 status
};

struct ClinicalSpec {
  std::vector<ClinicalColumn> columns;
};

// The columns for a cohort. requested: the names of [columns] clinical (canonical variables by
// prefix, e.g. "er" for er_percent and er_status; other table columns by exact name), or nullptr
// for every canonical variable. A name that matches nothing is an error listing what exists.
ClinicalSpec clinical_spec(const datasets::Cohort& cohort, const std::vector<std::string>* requested);

// One case's value of one column: NaN when missing; for a category, 1 or 0. A categorical value
// the spec does not know (a new case's category unseen in training) gives 0 in every category and
// a warning naming it.
double clinical_value(const datasets::ClinicalValues& values, const ClinicalColumn& column);

nlohmann::json to_json(const ClinicalSpec& spec);
ClinicalSpec clinical_spec_from_json(const nlohmann::json& json);

}  // namespace vbiopsy::experiments
