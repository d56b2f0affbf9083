#pragma once
// One case as a folder, the way a clinician exports a single patient for `vbiopsy predict` (and the
// layout of the synthetic cohort's cases). Every part is optional except that a present modality
// needs its mask:
//   mri/  dce/ (one DICOM folder holding every phase) or dce_0, dce_1, ... (one image file or DICOM
//         folder per phase, pre-contrast first), dce_times.txt (seconds, when not in the DICOM),
//         t2, dwi/ (one DICOM folder, every b-value) or dwi_b<b-value> (one per b-value, e.g.
//         dwi_b800), adc, mask (tumour mask on the DCE grid)
//   mg/   cc, cc_mask, mlo, mlo_mask, laterality.txt (L or R, when not in the DICOM), pixel_mm.txt
//         (the pixel size of pictures, which carry none)
//   us/   any image files (frames, or one multi-frame DICOM), mask*.png (one per frame, or one),
//         pixel_mm.txt
//   clinical.csv  a header and one row: clinical columns (see clinical.h), optionally case_id,
//                 patient_id, site, ihc, ish
// Names are matched without their image suffix (every type the readers take, core::image_suffixes:
// .nii.gz, .nii, .nrrd, .nhdr, .mha, .mhd, .png, .jpg, .jpeg, .pgm, .ppm, .bmp, .tif, .tiff, .dcm,
// .dicom, or none for DICOM); a name that fits no rule is an error naming it, and so is an image
// without its mask.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace vbiopsy::datasets {

// The case as manifest cells (column, value), paths absolute; case_id defaults to the folder name.
std::vector<std::pair<std::string, std::string>> case_folder_cells(const std::filesystem::path& folder);

// Writes those cells as a one-row manifest (read it with read_cohort(..., labels_required = false)).
void write_case_folder_manifest(const std::filesystem::path& folder, const std::filesystem::path& manifest);

}  // namespace vbiopsy::datasets
