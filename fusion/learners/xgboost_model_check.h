#pragma once

#include <string>

namespace vbiopsy::fusion {

// Checks a libxgboost JSON model (as XGBoosterSaveModelToBuffer writes it for a gbtree booster)
// before libxgboost loads it. libxgboost 1.7 trusts the file: a tree array shorter than its
// num_nodes, a child index out of range or a malformed number crash it (found by fuzzing edited
// bundles). Refuses with the field, the value found and the value expected; `classes` is the
// bundle's class count.
void check_xgboost_model(const std::string& model, long long classes);

}  // namespace vbiopsy::fusion
