#include "modalities/dicom/dicom_series.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/error.h"
#include "core/random.h"
#include "modalities/dicom/rtstruct.h"
#include "modalities/image_io.h"
#include "modalities/dicom/dicom_file.h"
#include <algorithm>

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

namespace vbiopsy::modalities::dicom {
namespace {

struct Expectation {
  const char* file;
  const char* modality;  // when it loads
  const char* error;     // fragment of the message when it must fail
};

TEST(DicomFile, EveryReferenceFileLoadsWithItsMetadataOrFailsClearly) {
  const Expectation expectations[] = {
      {"CT_small.dcm", "CT", nullptr},
      {"MR_small.dcm", "MR", nullptr},
      {"MR_small_RLE.dcm", "MR", nullptr},
      {"MR_small_bigendian.dcm", "MR", nullptr},
      {"MR_small_implicit.dcm", "MR", nullptr},
      {"MR_small_jpeg_ls_lossless.dcm", "MR", nullptr},
      {"JPEG-lossy.dcm", "NM", nullptr},
      {"emri_small.dcm", "MR", nullptr},
      {"SC_rgb_small_odd.dcm", "OT", nullptr},
      {"US1_UNCR.dcm", "US", nullptr},
      {"ExplVR_BigEnd.dcm", "US", nullptr},
      {"MR_truncated.dcm", nullptr, "not a readable DICOM file"},
      {"no_meta.dcm", nullptr, "no 128-byte preamble"},
      {"badVR.dcm", nullptr, "BitsAllocated 32 is not supported"},
      {"rtstruct.dcm", nullptr, "no PixelData"},
      {"test-SR.dcm", nullptr, "no PixelData"},
  };
  for (const auto& e : expectations) {
    const fs::path file = kData / "dicom" / e.file;
    if (e.modality) {
      DicomObject object = read_dicom(file);
      EXPECT_EQ(object.modality, e.modality) << e.file;
      EXPECT_GT(object.rows * object.columns, 0u) << e.file;
      EXPECT_FALSE(object.frames.empty()) << e.file;
    } else {
      try {
        read_dicom(file);
        ADD_FAILURE() << e.file << " loaded but should fail";
      } catch (const core::Error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find(file.string()), std::string::npos) << message;
        EXPECT_NE(message.find(e.error), std::string::npos) << message;
      }
    }
  }
  EXPECT_EQ(read_dicom(kData / "dicom/emri_small.dcm").frames.size(), 10u);
  EXPECT_EQ(read_dicom(kData / "dicom/CT_small.dcm").frames[0].position.has_value(), true);
}

TEST(DicomFile, EveryTransferSyntaxDecodesToTheSamePixels) {
  const auto reference = read_dicom(kData / "dicom/MR_small.dcm").frames.at(0).pixels;
  for (const char* name :
       {"MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm", "MR_small_jpeg_ls_lossless.dcm"}) {
    EXPECT_EQ(read_dicom(kData / "dicom" / name).frames.at(0).pixels, reference) << name;
  }
}

TEST(DicomFile, RescaleSlopeAndInterceptAreApplied) {
  // CT_small stores RescaleIntercept -1024 (pydicom's test data): air is near -1000 HU.
  auto ct = read_dicom(kData / "dicom/CT_small.dcm");
  float lowest = *std::min_element(ct.frames[0].pixels.begin(), ct.frames[0].pixels.end());
  EXPECT_LT(lowest, -800.f);
}

TEST(DicomFile, CorruptedCopiesNeverCrashTheLoader) {
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_corrupt_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  size_t loaded = 0, rejected = 0;
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    core::Rng rng(seed);
    for (auto& entry : fs::directory_iterator(kData / "dicom")) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      for (int trial = 0; trial < 8; ++trial) {
        std::string copy = bytes;
        if (trial % 2 == 0) {
          copy.resize(rng.below(copy.size()));
        } else {
          const size_t flips = 1 + rng.below(20);
          for (size_t f = 0; f < flips && !copy.empty(); ++f)
            copy[rng.below(copy.size())] = static_cast<char>(rng.below(256));
        }
        const fs::path file = dir / "corrupt.dcm";
        std::ofstream(file, std::ios::binary | std::ios::trunc) << copy;
        try {
          read_dicom(file);
          ++loaded;
        } catch (const core::Error&) {
          ++rejected;
        } catch (const std::exception& e) {
          ADD_FAILURE() << entry.path().filename() << " seed " << seed << " trial " << trial << ": " << e.what();
        }
      }
    }
  }
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(loaded + rejected, 300u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vbiopsy::modalities::dicom
