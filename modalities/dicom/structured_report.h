#pragma once
// A prediction as a DICOM Comprehensive SR (DCMTK's dcmsr), the output a hospital system (PACS,
// viewer, reporting system) takes: the predicted class and each class's probability, the prediction
// set, the algorithm and its version, the model's hash, warnings, a "not a medical device"
// statement, and the DICOM instances the prediction was made from as evidence. Readable by dsrdump.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace vbiopsy::modalities::dicom {

// One DICOM instance the prediction was made from.
struct InstanceReference {
  std::string study_uid, series_uid, sop_class_uid, sop_instance_uid;
};

struct PredictionReport {
  std::string algorithm_name, algorithm_version;
  std::string observation_subject;                            // the case id (not a patient identifier)
  std::vector<std::pair<std::string, double>> probabilities;  // class name -> probability in [0, 1]
  std::string predicted_class;                                // one of the class names
  std::string prediction_set;                                 // e.g. "HER2-low or HER2-positive (alpha 0.1)"
  std::string model_sha256;
  std::vector<std::string> warnings;
  std::string statement;  // intended use, "not a medical device"
  std::vector<InstanceReference> evidence;
};

// Writes the report atomically. The SR joins the inputs' study when every input instance belongs
// to one study; otherwise it starts a new one. Patient identity is not copied from the inputs.
void write_prediction_sr(const PredictionReport& report, const std::filesystem::path& file);

// The instance reference of a DICOM file (header only); throws core::Error naming the file.
InstanceReference instance_reference_of(const std::filesystem::path& file);

}  // namespace vbiopsy::modalities::dicom
