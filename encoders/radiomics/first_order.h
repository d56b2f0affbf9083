#pragma once
// First-order families: intensity statistics (raw intensities), intensity histogram (discretised
// levels), intensity-volume histogram, and local intensity peaks.
#include "core/image.h"
#include "encoders/radiomics/feature.h"
#include "encoders/radiomics/roi.h"

namespace vbiopsy::encoders::radiomics {

FeatureList intensity_statistics(const Roi& roi);
FeatureList intensity_histogram(const Roi& roi);
FeatureList intensity_volume_histogram(const Roi& roi);
// Needs the whole image: the 1 cm^3 sphere around a ROI voxel may reach outside the ROI.
FeatureList local_intensity(const core::Image& image, const Roi& roi);

// Linear-interpolation percentile of sorted values (numpy's default), p in [0, 100].
double percentile(const std::vector<double>& sorted, double p);

}  // namespace vbiopsy::encoders::radiomics
