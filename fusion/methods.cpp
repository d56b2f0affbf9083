#include "fusion/methods.h"

#include "core/error.h"
#include "core/strings.h"
#include "fusion/fusion.h"
#include "fusion/learners/classifier.h"
#include "fusion/stacking.h"
#include "fusion/submodels.h"

namespace vbiopsy::fusion {

const char* method_kind_name(MethodKind kind) {
  switch (kind) {
    case MethodKind::kNetwork:
      return "fusion network";
    case MethodKind::kClassifier:
      return "classical learner";
    case MethodKind::kSubmodels:
      return "binary submodels";
  }
  return "?";
}

const std::vector<Method>& grid_methods() {
  static const std::vector<Method> methods = [] {
    std::vector<Method> out;
    for (const auto* entry : builtin_fusions().entries()) {
      Method method{entry->name, MethodKind::kNetwork, entry->help, entry->options};
      if (entry->name == "late")  // its combine = stacking fits a meta-learner
        for (auto& spec : stacking_option_specs()) method.options.push_back(std::move(spec));
      out.push_back(std::move(method));
    }
    for (const auto* entry : builtin_classifiers().entries())
      out.push_back({entry->name, MethodKind::kClassifier, entry->help, entry->options});
    out.push_back(
        {"submodels", MethodKind::kSubmodels,
         "DM-VBS: per modality two binary classifiers (positive vs not, zero vs not) combined by a meta-learner",
         BinarySubmodels::option_specs()});
    return out;
  }();
  return methods;
}

const Method* find_grid_method(const std::string& name) {
  for (const auto& method : grid_methods())
    if (method.name == name) return &method;
  return nullptr;
}

const Method& grid_method(const std::string& name) {
  if (const auto* method = find_grid_method(name)) return *method;
  std::vector<std::string> names;
  for (const auto& method : grid_methods()) names.push_back(method.name);
  core::fail("unknown fusion method '", name, "'", core::did_you_mean(name, names),
             "; known: ", core::join(names, ", "));
}

}  // namespace vbiopsy::fusion
