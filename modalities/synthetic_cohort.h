#pragma once
// Writes the synthetic paired cohort in the formats clinics hand over: MRI as NIfTI or as DICOM
// series, mammography as DICOM MG (MONOCHROME1 at one site) or PNG, ultrasound as DICOM US (RGB or
// multi-frame) or PNG, plus manifest.csv, clinical.csv and truth/ (never read by the models).
#include <filesystem>

#include "datasets/synth.h"

namespace vbiopsy::modalities {

enum class MriFormat { kNifti, kDicom };

struct SynthWriteOptions {
  datasets::SynthOptions synth;
  MriFormat mri_format = MriFormat::kNifti;
  unsigned threads = 1;
};

// Returns the number of cases written. Files are written atomically; the same options give the
// same bytes whatever the thread count.
size_t write_synthetic_cohort(const SynthWriteOptions& options, const std::filesystem::path& out);
// Whether the manifest is one that write_synthetic_cohort wrote (its truth/truth.csv is beside
// it), so that runs and models trained on it say SYNTHETIC.
bool is_synthetic_cohort(const std::filesystem::path& manifest);

}  // namespace vbiopsy::modalities
