#pragma once
// Exact Shapley values of the modalities from an ablation grid: the value of a subset of
// modalities is the macro-AUC of the model trained on exactly that subset; the empty set is chance
// (0.5). phi_i = sum over S not holding i of |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)).
#include <map>
#include <string>
#include <vector>

namespace vbiopsy::experiments {

// value: subset bitmask (bit i = modality i) -> value, for every non-empty subset of n modalities.
std::vector<double> shapley_values(int modalities, const std::map<unsigned, double>& value, double empty_value = 0.5);

}  // namespace vbiopsy::experiments
