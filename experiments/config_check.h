#pragma once
// The whole experiment config checked before a run creates or trains anything: the inputs it names
// exist, and every fusion method, classical learner, encoder, crop setting, training and head
// option of the grid is known and takes its values (the components are built once, untrained, from
// the config's options, so each one checks its own values). Used by `vbiopsy run --check` and at
// the start of every run.
#include <string>
#include <vector>

#include "experiments/config.h"

namespace vbiopsy::experiments {

// Every problem found, one sentence each naming the section and key; empty when the config is sound.
std::vector<std::string> check_experiment(const ExperimentConfig& config);

}  // namespace vbiopsy::experiments
