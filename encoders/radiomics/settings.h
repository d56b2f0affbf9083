#pragma once
// Extraction settings from an INI file. Keys (section [setting]; PyRadiomics' names where they
// exist):
//   label = 1                  mask value of the region
//   binWidth = 25              fixed bin size (the default, as in PyRadiomics)
//   binCount = 32              fixed bin number (instead of binWidth)
//   discretisation = fbs|fbn|none
//   maxGreyLevels = 100000     refuse settings that would create more grey levels
//   resegmentRange = -3, 3     re-segmentation bounds; resegmentMode = absolute|sigma
//   resampledPixelSpacing = 2, 2, 2   resample first (mm); interpolator = sitkBSpline|sitkLinear
//   roundIntensities = false   round intensities to integers after resampling (IBSI convention)
//   PyRadiomics convention only (--compat pyradiomics):
//   voxelArrayShift = 0        added to intensities for energy and RMS
//   force2D = false, weightingNorm = no_weighting (merge directions), normalize = false,
//   normalizeScale = 1, padDistance = 5 (its resampling grid)
// Section [imageType] (PyRadiomics' names): Original = true, LoG = 1, 2, 3 (sigmas in mm),
//   Wavelet = coif1|haar, Square, SquareRoot, Logarithm, Exponential, Gradient, LBP2D, LBP3D = true|false
//   (LBP2D with [setting] lbp2DRadius = 1, lbp2DSamples = 8, lbp2DMethod = uniform|default|ror;
//   LBP3D with lbp3DLevels = 2, lbp3DIcosphereRadius = 1, lbp3DIcosphereSubdivision = 1).
// Sections [filter.<name>] (IBSI convention): an IBSI 2 filter's response map as an image type,
//   its features named "<name>_<family>_..."; keys as in convolution/response_map.h.
// Section [features]: families = glcm, glrlm, ...  (default: all)
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "encoders/radiomics/extractor.h"
#include "encoders/radiomics/pyradiomics.h"

namespace vbiopsy::encoders::radiomics {

ExtractionSettings default_settings();

// Unknown keys and unreadable values throw core::Error naming the file, key and value. Sections in
// other_sections belong to the caller and are skipped.
ExtractionSettings read_settings(const std::filesystem::path& ini, const std::set<std::string>& other_sections = {});

// Every key read_settings knows, as "section.key": the list its errors name, and the keys the
// tests change one by one to prove that write_settings carries each of them.
const std::vector<std::string>& setting_keys();

// The settings as canonical INI text: every key with its effective value in a fixed order (the
// defaults written out), numbers in their shortest exact form. read_settings reads it back to the
// same settings, so it is both the record of what was used and the key of cached features.
// `threads` is no key: it changes no value.
std::string write_settings(const ExtractionSettings& settings);
// How the canonical text writes a list of numbers ("2, 2.5") and a flag ("true"); shared with the
// cohort settings (extraction/settings.h).
std::string ini_numbers(const std::vector<double>& values);
const char* ini_flag(bool value);

}  // namespace vbiopsy::encoders::radiomics
