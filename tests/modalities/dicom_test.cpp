#include "modalities/dicom/dicom_series.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/random.h"
#include "modalities/dicom/rtstruct.h"
#include "modalities/image_io.h"

namespace vbiopsy::modalities::dicom {
namespace {
namespace fs = std::filesystem;
const fs::path kData = VBIOPSY_TEST_DATA;

double dice(const core::Mask& a, const core::Mask& b) {
  size_t both = 0, sum = 0;
  for (size_t i = 0; i < a.voxels.size(); ++i) {
    both += (a.voxels[i] && b.voxels[i]);
    sum += (a.voxels[i] != 0) + (b.voxels[i] != 0);
  }
  return sum ? 2.0 * static_cast<double>(both) / static_cast<double>(sum) : 1.0;
}

TEST(DicomSeries, LoadsToTheGeometryAndValuesOfItsNiftiTwin) {
  core::Image dicom = load_volume(kData / "mr_dicom_series_sts002/image");
  core::Image nifti = read_image(kData / "mr_nifti_sts002/MR_T1_image.nii.gz");
  EXPECT_EQ(core::describe_grid_mismatch(dicom.geometry, nifti.geometry), "");
  ASSERT_EQ(dicom.voxels.size(), nifti.voxels.size());
  double max_difference = 0;
  for (size_t i = 0; i < dicom.voxels.size(); ++i)
    max_difference = std::max(max_difference, std::abs(double(dicom.voxels[i]) - nifti.voxels[i]));
  EXPECT_LT(max_difference, 1e-3);
}

TEST(RtStruct, RasterisesToTheNiftiMaskWithDiceAbove95Percent) {
  core::Image dicom = load_volume(kData / "mr_dicom_series_sts002/image");
  core::Mask mask = rasterise_rtstruct(kData / "mr_dicom_series_sts002/mask/RS.dcm", dicom.geometry);
  core::Mask reference = read_mask(kData / "mr_nifti_sts002/MR_T1_mask.nii.gz");
  ASSERT_EQ(core::describe_grid_mismatch(mask.geometry, reference.geometry), "");
  EXPECT_GT(core::count_nonzero(mask), 100u);
  EXPECT_GE(dice(mask, reference), 0.95);
}

}  // namespace
}  // namespace vbiopsy::modalities::dicom
