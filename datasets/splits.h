#pragma once
// How a cohort is split for validation: stratified k-fold over cases or over patients (every case of
// a patient in one fold), leave one site out, and a fixed set of test sites. Each returns a fold id
// per case; seeded splits give the same folds for the same seed on every machine.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "datasets/her2.h"

namespace vbiopsy::datasets {

// Stratified k-fold assignment (fold id per case; labels are classes 0..classes-1, by default the
// HER2 classes), seeded by the random stream `stream` of `seed` (callers that split for different
// purposes use different streams, so their folds are independent).
std::vector<int> stratified_folds(const std::vector<int64_t>& labels, int folds, uint64_t seed, uint64_t stream = 31,
                                  int classes = kHer2ClassCount);

// The same over patients: a patient's cases share a fold; a patient's class is its first case's.
std::vector<int> patient_folds(const std::vector<std::string>& patients, const std::vector<int>& labels, int folds,
                               uint64_t seed);

// One fold per site (in the sites' sorted order), and the number of folds; needs two sites.
std::pair<std::vector<int>, int> leave_one_site_out_folds(const std::vector<std::string>& sites);

// Fold 0 holds the cases at the test sites, -1 (always training) the others; both must be non-empty.
std::pair<std::vector<int>, int> test_site_folds(const std::vector<std::string>& sites,
                                                 const std::vector<std::string>& test_sites);

}  // namespace vbiopsy::datasets
