#include "datasets/splits.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"
#include "core/random.h"
#include "datasets/her2.h"

namespace vbiopsy::datasets {

std::vector<int> stratified_folds(const std::vector<int64_t>& labels, int folds, uint64_t seed, uint64_t stream,
                                  int classes) {
  if (folds < 2) core::fail("folds = ", folds, ", expected >= 2");
  if (classes < 2) core::fail("classes = ", classes, ", expected >= 2");
  std::vector<int> fold(labels.size());
  std::vector<int> next(static_cast<size_t>(classes), 0);
  core::Rng rng(core::derive_seed(seed, {stream}));
  std::vector<size_t> order(labels.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  for (size_t i : order) {
    if (labels[i] < 0 || labels[i] >= classes)
      core::fail("case ", i, ": class ", labels[i], ", expected 0..", classes - 1);
    fold[i] = next[labels[i]]++ % folds;
  }
  return fold;
}

std::vector<int> patient_folds(const std::vector<std::string>& patients, const std::vector<int>& labels, int folds,
                               uint64_t seed) {
  std::map<std::string, int> patient_label;
  std::vector<std::string> order;
  for (size_t i = 0; i < patients.size(); ++i)
    if (patient_label.emplace(patients[i], labels[i]).second) order.push_back(patients[i]);
  std::vector<int64_t> patient_labels;
  for (const auto& p : order) patient_labels.push_back(patient_label[p]);
  const auto patient_fold = stratified_folds(patient_labels, folds, seed);
  std::map<std::string, int> fold_of;
  for (size_t j = 0; j < order.size(); ++j) fold_of[order[j]] = patient_fold[j];
  std::vector<int> out;
  for (const auto& p : patients) out.push_back(fold_of[p]);
  return out;
}

std::pair<std::vector<int>, int> leave_one_site_out_folds(const std::vector<std::string>& sites) {
  const std::set<std::string> distinct(sites.begin(), sites.end());
  if (distinct.size() < 2)
    core::fail("validation = leave_one_site_out needs at least two sites, the cohort has ", distinct.size());
  const std::vector<std::string> ordered(distinct.begin(), distinct.end());
  std::vector<int> fold(sites.size());
  for (size_t i = 0; i < sites.size(); ++i)
    fold[i] = static_cast<int>(std::find(ordered.begin(), ordered.end(), sites[i]) - ordered.begin());
  return {fold, static_cast<int>(ordered.size())};
}

std::pair<std::vector<int>, int> test_site_folds(const std::vector<std::string>& sites,
                                                 const std::vector<std::string>& test_sites) {
  std::vector<int> fold(sites.size(), -1);
  size_t tested = 0;
  for (size_t i = 0; i < sites.size(); ++i)
    if (std::find(test_sites.begin(), test_sites.end(), sites[i]) != test_sites.end()) {
      fold[i] = 0;
      ++tested;
    }
  if (tested == 0 || tested == sites.size())
    core::fail("validation = test_sites: ", tested, " of ", sites.size(),
               " cases are at the test sites; both parts must be non-empty");
  return {fold, 1};
}

}  // namespace vbiopsy::datasets
