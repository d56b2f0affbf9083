#pragma once
// What the models will get of the clinical variables, per variable (vbiopsy validate prints it),
// and the unit checks a table can fail silently: percentages given as fractions, sizes in cm.
#include <string>
#include <vector>

#include "datasets/manifest.h"

namespace vbiopsy::datasets {

struct VariableSummary {
  std::string name;  // canonical variable, or another column of the clinical table
  size_t given = 0, missing = 0;
  std::string values;  // "12-87" for numbers, "positive 40, negative 12" for statuses and categories
};

// Every canonical variable, then every other column of the clinical table (those a config can
// name in [columns] clinical).
std::vector<VariableSummary> summarise_clinical(const Cohort& cohort);

// Warnings naming the column: a percentage column whose values all lie in 0-1 with fractions among
// them; a tumour size whose values are all below 6 (centimetres given as millimetres?).
std::vector<std::string> clinical_unit_warnings(const Cohort& cohort);

}  // namespace vbiopsy::datasets
