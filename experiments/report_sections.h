#pragma once
// The run report's sections, one function each, in the order the page shows them. Each returns
// its HTML (headed by an <h2>), or nothing when it does not apply to the run.
#include <string>

#include "experiments/report_inputs.h"

namespace vbiopsy::experiments {

std::string title_section(const ReportInputs& in);        // cases, seed, reference; the synthetic-data banner
std::string summary_section(const ReportInputs& in);      // every model's metrics with bootstrap CIs
std::string uncertainty_section(const ReportInputs& in);  // calibrated runs: before/after, prediction sets
std::string roc_section(const ReportInputs& in);
std::string reliability_section(const ReportInputs& in);
std::string decision_curve_section(const ReportInputs& in);
std::string confusion_section(const ReportInputs& in);
std::string shapley_section(const ReportInputs& in);      // when the grid holds every modality subset
std::string weights_section(const ReportInputs& in);      // models that weigh modalities per case
std::string importances_section(const ReportInputs& in);  // the exported models' top features
std::string comparisons_section(const ReportInputs& in);  // DeLong with Holm, the family named
std::string excluded_section(const ReportInputs& in);
std::string checklist_section(const ReportInputs& in);  // TRIPOD+AI / CLEAR, prefilled from run.json
std::string config_section(const ReportInputs& in);

}  // namespace vbiopsy::experiments
