#pragma once
// Every name a grid's `fusion` list can hold, in one registry: the fusion networks (fusion.h:
// early, late, attention, gated; late also stacks, stacking.h), the classical learners
// (learners/classifier.h) and the DM-VBS binary submodels (submodels.h). Each entry says what kind
// of model it makes, with its help and options, so that configs are checked and `vbiopsy list` is
// written from one place. A new method is one class registered in its family's registry; it
// appears here by itself.
#include <string>
#include <vector>

#include "core/registry.h"

namespace vbiopsy::fusion {

enum class MethodKind {
  kNetwork,     // a fusion network over per-modality encoders (trained with LibTorch)
  kClassifier,  // a classical learner on the modalities' columns, concatenated with presence flags
  kSubmodels,   // per modality two binary classifiers, combined by a meta-learner
};
const char* method_kind_name(MethodKind kind);

struct Method {
  std::string name;
  MethodKind kind;
  std::string help;
  std::vector<core::OptionSpec> options;  // an option named `<prefix>_<option>` passes <option> on
};

// In a fixed order: networks, then classifiers, then submodels.
const std::vector<Method>& grid_methods();
// nullptr for an unknown name.
const Method* find_grid_method(const std::string& name);
// Throws core::Error naming the unknown method, the nearest known one and the list.
const Method& grid_method(const std::string& name);

}  // namespace vbiopsy::fusion
