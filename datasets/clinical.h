#pragma once
// Clinical values as they appear in hospital tables: spellings and units are normalised here, and
// anything unreadable is an error naming the column and the value.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/case.h"

namespace vbiopsy::datasets {

// Canonical clinical columns, in the order they are written. Accepted aliases in parentheses:
//   er_percent (er_pct), pr_percent (pr_pct), er_status (er), pr_status (pr),
//   ki67_percent (ki67, ki-67), age (age_years), tumour_size_mm (tumor_size_mm, size_mm), grade,
//   node_status (lymph_node_status, ln_status, nodal_status, n_status), multifocal (multifocality),
//   menopausal_status (menopause, menopausal), histology (histological_type, histologic_type,
//   histotype, tumour_type, tumor_type)
const std::vector<std::string>& clinical_columns();
// The categories of the categorical columns (menopausal_status, histology); empty for the others.
const std::vector<std::string>& clinical_categories(const std::string& canonical_column);
// A cell that means "missing": "", "na", "n/a", "nan", "unknown", "missing", "." (any case).
bool is_missing_cell(std::string_view cell);
// Columns that carry the label itself (IHC, ISH, HER2 status): never a model input.
bool is_label_column(std::string_view header);
// The canonical name of a column header, or nullopt when it is not a clinical column.
std::optional<std::string> canonical_clinical_column(std::string_view header);

// Sets one field from a cell. Missing: "", "na", "n/a", "nan", "unknown", "missing", ".".
// Percentages accept a trailing "%"; size accepts "mm" or "cm"; status accepts positive/pos/+/1/
// yes/true and negative/neg/-/0/no/false; grade accepts 1-3, "G2", "II"; node_status also N0-N3
// (pN1a, ...); multifocal also multifocal/unifocal; menopausal_status pre/peri/post (and
// premenopausal, ...); histology ductal (IDC, NST, no special type), lobular (ILC), mixed, and any
// other type as "other". Throws core::Error.
void set_clinical_field(ClinicalValues& values, const std::string& canonical_column, std::string_view cell);
// Fills ER/PR status from the percentage (>= 1% positive, ASCO/CAP) where only the latter is known.
void complete_receptor_status(ClinicalValues& values);

std::string clinical_field_text(const ClinicalValues& values, const std::string& canonical_column);

}  // namespace vbiopsy::datasets
