// Loaders on real files nobody here wrote, and on copies of them edited the way scanners and tools
// differ: slice-position jitter, 0/255 and colour masks, DICOM Segmentations, mammography pixel
// spacing, multi-frame objects without patient geometry.
#include "modalities/mask_loading.h"
#include "modalities/case_loader.h"

#include <gtest/gtest.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <unistd.h>

#include "core/error.h"
#include "core/warnings.h"
#include "modalities/dicom/dicom_file.h"
#include "modalities/dicom/dicom_series.h"
#include "modalities/image_io.h"
#include "tests/test_support.h"

namespace vbiopsy::modalities {
namespace {
namespace fs = std::filesystem;
const fs::path kData = VBIOPSY_TEST_DATA;

class RealData : public testing_support::TempFolderTest {
 protected:
  // A copy of a real DICOM file with its dataset edited by `edit`.
  static void edited_copy(const fs::path& from, const fs::path& to, const std::function<void(DcmDataset*)>& edit) {
    DcmFileFormat format;
    ASSERT_TRUE(format.loadFile(from.c_str()).good()) << from;
    edit(format.getDataset());
    fs::create_directories(to.parent_path());
    ASSERT_TRUE(format.saveFile(to.c_str(), format.getDataset()->getOriginalXfer()).good()) << to;
  }
};
using testing_support::message_of;

// The real STS002 series with every slice moved along its normal by up to 0.08 mm, as scanners
// write positions: one volume, spacing the mean gap, a warning naming the series.
TEST_F(RealData, JitteredSlicePositionsGiveOneVolumeWithTheMeanSpacingAndAWarning) {
  const fs::path series = kData / "mr_dicom_series_sts002/image";
  const core::Image original = dicom::load_volume(series);
  const auto& g = original.geometry;
  const std::array<double, 3> normal = {g.direction[2], g.direction[5], g.direction[8]};
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(series)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  // Each slice moves by up to 0.05 mm (1.5% of its 3.27 mm gap), a function of where it lies.
  auto offset_of = [](double along) { return 0.05 * std::sin(along * 1.7); };
  for (const auto& file : files) {
    edited_copy(file, dir_ / "jitter" / file.filename(), [&](DcmDataset* ds) {
      double position[3];
      for (int a = 0; a < 3; ++a) ds->findAndGetFloat64(DCM_ImagePositionPatient, position[a], a);
      double along = 0;
      for (int a = 0; a < 3; ++a) along += position[a] * normal[a];
      const double offset = offset_of(along);
      char text[128];
      std::snprintf(text, sizeof text, "%.6f\\%.6f\\%.6f", position[0] + offset * normal[0],
                    position[1] + offset * normal[1], position[2] + offset * normal[2]);
      ds->putAndInsertString(DCM_ImagePositionPatient, text);
    });
  }
  const double first = g.origin[0] * normal[0] + g.origin[1] * normal[1] + g.origin[2] * normal[2];
  const double last = first + double(g.size[2] - 1) * g.spacing[2];
  core::WarningCollector warnings;
  const core::Image jittered = dicom::load_volume(dir_ / "jitter");
  EXPECT_EQ(jittered.voxels, original.voxels);
  const double expected = g.spacing[2] + (offset_of(last) - offset_of(first)) / double(g.size[2] - 1);
  EXPECT_NEAR(jittered.geometry.spacing[2], expected, 1e-4);
  ASSERT_EQ(warnings.messages().size(), 1u);
  EXPECT_NE(warnings.messages()[0].find((dir_ / "jitter").string()), std::string::npos) << warnings.messages()[0];
  EXPECT_NE(warnings.messages()[0].find("uses their mean"), std::string::npos) << warnings.messages()[0];

  // A slice taken out of the real series is a gap, refused with both neighbours named.
  fs::copy(series, dir_ / "gap");
  fs::remove(dir_ / "gap" / files[10].filename());
  const std::string message = message_of([&] { dicom::load_volume(dir_ / "gap"); });
  EXPECT_NE(message.find("a slice is missing"), std::string::npos) << message;
  EXPECT_NE(message.find((dir_ / "gap" / files[9].filename()).string()), std::string::npos) << message;
  EXPECT_NE(message.find((dir_ / "gap" / files[11].filename()).string()), std::string::npos) << message;
}

// BUSI masks are 1-bit PNGs (0/255 once decoded): the region is every non-zero pixel; the same
// region saved as RGB and RGBA by a labelling tool gives the same mask.
TEST_F(RealData, BusiMasksStoredAs255AndColourMasksGiveTheSameRegion) {
  const fs::path image_path = kData / "ultrasound_busi/malignant_1.png",
                 mask_path = kData / "ultrasound_busi/malignant_1_mask.png";
  const core::Image image = read_image(image_path);
  const core::Mask mask = load_mask_for(mask_path, image, image_path);
  std::set<int> values(mask.voxels.begin(), mask.voxels.end());
  EXPECT_EQ(values, (std::set<int>{0, 255}));
  const size_t region = core::count_nonzero(mask);
  EXPECT_GT(region, 1000u);

  const cv::Mat grey = cv::imread(mask_path.string(), cv::IMREAD_GRAYSCALE);
  cv::Mat red, alpha_only;
  cv::Mat zeros = cv::Mat::zeros(grey.size(), CV_8U), full = cv::Mat(grey.size(), CV_8U, cv::Scalar(255));
  cv::merge(std::vector<cv::Mat>{zeros, zeros, grey, full}, red);          // BGRA: red region, opaque
  cv::merge(std::vector<cv::Mat>{zeros, zeros, zeros, grey}, alpha_only);  // black, region in alpha
  cv::imwrite((dir_ / "red.png").string(), red);
  cv::imwrite((dir_ / "alpha.png").string(), alpha_only);
  for (const char* name : {"red.png", "alpha.png"}) {
    const core::Mask colour = load_mask_for(dir_ / name, image, image_path);
    EXPECT_EQ(core::count_nonzero(colour), region) << name;
    for (size_t i = 0; i < mask.voxels.size(); ++i)
      ASSERT_EQ(colour.voxels[i] != 0, mask.voxels[i] != 0) << name << " pixel " << i;
  }
}

// dcmqi's test SEG (23x38 pixels, 3 frames: packed bits run across frame boundaries) on its real
// image series equals the label map dcmqi ships beside it.
TEST_F(RealData, DicomSegmentationLandsOnItsImageGridLikeItsNrrdTwin) {
  const fs::path dir = kData / "dicom_seg_dcmqi";
  const core::Image image = read_image(dir / "image");
  const core::Mask seg = load_mask_for(dir / "label.seg.dcm", image, dir / "image");
  const core::Mask twin = read_mask(dir / "label.nrrd");
  ASSERT_EQ(core::describe_grid_mismatch(image.geometry, twin.geometry), "");
  ASSERT_EQ(seg.voxels.size(), twin.voxels.size());
  EXPECT_GT(core::count_nonzero(twin), 50u);
  for (size_t i = 0; i < seg.voxels.size(); ++i) ASSERT_EQ(seg.voxels[i] != 0, twin.voxels[i] != 0) << "voxel " << i;
}

// The same SEG edited into the variants TCIA cohorts hold: two segments (numbers are labels),
// fractional (thresholded at half the maximum), overlapping segments and a frame off the grid
// (refused, named).
TEST_F(RealData, SegmentationVariantsAreReadOrRefusedByName) {
  const fs::path dir = kData / "dicom_seg_dcmqi";
  const core::Image image = read_image(dir / "image");
  const core::Mask reference = load_mask_for(dir / "label.seg.dcm", image, dir / "image");
  auto frame_item = [](DcmDataset* ds, long frame, const DcmTagKey& macro) {
    DcmItem* group = nullptr;
    DcmItem* item = nullptr;
    ds->findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, group, frame);
    group->findAndGetSequenceItem(macro, item, 0);
    return item;
  };
  auto add_segment = [](DcmDataset* ds, const char* label) {
    DcmItem* item = nullptr;
    ds->findOrCreateSequenceItem(DCM_SegmentSequence, item, -2);
    item->putAndInsertUint16(DCM_SegmentNumber, 2);
    item->putAndInsertString(DCM_SegmentLabel, label);
  };
  // Frame 2 (the middle slice) becomes segment 2.
  edited_copy(dir / "label.seg.dcm", dir_ / "two.dcm", [&](DcmDataset* ds) {
    add_segment(ds, "Lesion");
    frame_item(ds, 1, DCM_SegmentIdentificationSequence)->putAndInsertUint16(DCM_ReferencedSegmentNumber, 2);
  });
  const core::Mask two = load_mask_for(dir_ / "two.dcm", image, dir / "image");
  const size_t per_slice = image.geometry.size[0] * image.geometry.size[1];
  for (size_t i = 0; i < two.voxels.size(); ++i) {
    const bool middle = i / per_slice == 1;
    ASSERT_EQ(two.voxels[i], reference.voxels[i] ? (middle ? 2 : 1) : 0) << "voxel " << i;
  }
  // Fractional: the bits unpacked to 8-bit values 200 (in) and 90 (below half of 255: out).
  edited_copy(dir / "label.seg.dcm", dir_ / "fractional.dcm", [&](DcmDataset* ds) {
    const Uint8* bits = nullptr;
    unsigned long length = 0;
    ds->findAndGetUint8Array(DCM_PixelData, bits, &length);
    const size_t count = per_slice * 3;
    std::vector<Uint8> values(count);
    for (size_t p = 0; p < count; ++p) values[p] = (bits[p / 8] >> (p % 8)) & 1u ? 200 : (p % 3 == 0 ? 90 : 0);
    ds->putAndInsertString(DCM_SegmentationType, "FRACTIONAL");
    ds->putAndInsertString(DCM_SegmentationFractionalType, "PROBABILITY");
    ds->putAndInsertUint16(DCM_MaximumFractionalValue, 255);
    ds->putAndInsertUint16(DCM_BitsAllocated, 8);
    ds->putAndInsertUint16(DCM_BitsStored, 8);
    ds->putAndInsertUint16(DCM_HighBit, 7);
    ds->putAndInsertUint8Array(DCM_PixelData, values.data(), count);
  });
  const core::Mask fractional = load_mask_for(dir_ / "fractional.dcm", image, dir / "image");
  EXPECT_EQ(fractional.voxels, reference.voxels);
  // Overlap: segment 2 repeats frame 1 at frame 1's position.
  edited_copy(dir_ / "two.dcm", dir_ / "overlap.dcm", [&](DcmDataset* ds) {
    const char* position = nullptr;
    frame_item(ds, 0, DCM_PlanePositionSequence)->findAndGetString(DCM_ImagePositionPatient, position);
    const std::string first(position);
    frame_item(ds, 1, DCM_PlanePositionSequence)->putAndInsertString(DCM_ImagePositionPatient, first.c_str());
  });
  std::string message = message_of([&] { load_mask_for(dir_ / "overlap.dcm", image, dir / "image"); });
  EXPECT_NE(message.find("segment 1 'Liver' and segment 2 'Lesion' overlap"), std::string::npos) << message;
  // Half a pixel off the image's grid.
  edited_copy(dir / "label.seg.dcm", dir_ / "shifted.dcm", [&](DcmDataset* ds) {
    for (long f = 0; f < 3; ++f) {
      auto* plane = frame_item(ds, f, DCM_PlanePositionSequence);
      double p[3];
      for (int a = 0; a < 3; ++a) plane->findAndGetFloat64(DCM_ImagePositionPatient, p[a], a);
      char text[96];
      std::snprintf(text, sizeof text, "%.6f\\%.6f\\%.6f", p[0] + 0.35, p[1], p[2]);
      plane->putAndInsertString(DCM_ImagePositionPatient, text);
    }
  });
  message = message_of([&] { load_mask_for(dir_ / "shifted.dcm", image, dir / "image"); });
  EXPECT_NE(message.find((dir_ / "shifted.dcm").string() + ": frame 1"), std::string::npos) << message;
  EXPECT_NE(message.find("does not lie on the image's voxel centres"), std::string::npos) << message;
}

// Mammography: ImagerPixelSpacing over the estimated magnification, recorded as the source; a
// picture takes mg_pixel_mm, and without it 1 mm is assumed with a warning naming the file.
TEST_F(RealData, MammographySpacingComesFromTheMagnificationCorrectedImagerSpacing) {
  edited_copy(kData / "dicom/MR_small.dcm", dir_ / "mg.dcm", [](DcmDataset* ds) {
    ds->putAndInsertString(DCM_Modality, "MG");
    ds->putAndInsertString(DCM_ImagerPixelSpacing, "0.1\\0.1");
    ds->putAndInsertString(DCM_PixelSpacing, "0.3\\0.3");
    ds->putAndInsertString(DCM_EstimatedRadiographicMagnificationFactor, "1.25");
  });
  const auto object = dicom::read_dicom(dir_ / "mg.dcm");
  ASSERT_TRUE(object.frames[0].pixel_spacing.has_value());
  EXPECT_NEAR((*object.frames[0].pixel_spacing)[0], 0.08, 1e-12);
  EXPECT_EQ(object.spacing_source, "ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor 1.25");

  datasets::Mammography mg;
  const fs::path picture = kData / "ultrasound_busi/malignant_1.png",
                 mask = kData / "ultrasound_busi/malignant_1_mask.png";
  mg.views.push_back({"CC", picture, mask, std::nullopt});
  {
    core::WarningCollector warnings;
    const auto views = load_mammography(mg);
    EXPECT_EQ(views[0].image.geometry.spacing[0], 1.0);
    EXPECT_EQ(views[0].spacing_source, "assumed 1 mm");
    ASSERT_EQ(warnings.messages().size(), 1u);
    EXPECT_NE(warnings.messages()[0].find(picture.string() + ": the file gives no pixel size"), std::string::npos);
  }
  mg.pixel_mm = 0.07;
  core::WarningCollector warnings;
  const auto views = load_mammography(mg);
  EXPECT_EQ(views[0].image.geometry.spacing[0], 0.07);
  EXPECT_EQ(views[0].image.geometry.spacing[1], 0.07);
  EXPECT_EQ(views[0].mask.geometry.spacing[0], 0.07);
  EXPECT_TRUE(warnings.messages().empty());
}

// An old multi-frame object without patient geometry (the real enhanced MR with its functional
// groups removed): a stack in stored order, with a warning; as a series of files it is refused,
// naming the missing attribute once.
TEST_F(RealData, MultiFrameWithoutOrientationIsAStackWithAWarning) {
  const auto enhanced = dicom::read_dicom(kData / "dicom/emri_small.dcm");
  edited_copy(kData / "dicom/emri_small.dcm", dir_ / "old.dcm", [](DcmDataset* ds) {
    delete ds->remove(DCM_PerFrameFunctionalGroupsSequence);
    delete ds->remove(DCM_SharedFunctionalGroupsSequence);
    delete ds->remove(DCM_ImageOrientationPatient);
    delete ds->remove(DCM_ImagePositionPatient);
  });
  core::WarningCollector warnings;
  const core::Image stack = dicom::load_volume(dir_ / "old.dcm");
  EXPECT_EQ(stack.geometry.size[2], enhanced.frames.size());
  ASSERT_EQ(warnings.messages().size(), 1u);
  EXPECT_NE(warnings.messages()[0].find("without ImageOrientationPatient"), std::string::npos)
      << warnings.messages()[0];
  EXPECT_NE(warnings.messages()[0].find("orientation unknown"), std::string::npos) << warnings.messages()[0];

  for (const char* name : {"a.dcm", "b.dcm"})
    edited_copy(kData / "dicom/MR_small.dcm", dir_ / "files" / name, [&](DcmDataset* ds) {
      delete ds->remove(DCM_ImageOrientationPatient);
      ds->putAndInsertString(DCM_SOPInstanceUID, name);
    });
  const std::string message = message_of([&] { dicom::load_volume(dir_ / "files"); });
  EXPECT_NE(message.find("no ImageOrientationPatient (0020,0037)"), std::string::npos) << message;
  const std::string file = (dir_ / "files" / "a.dcm").string();
  EXPECT_NE(message.find(file), std::string::npos) << message;
  EXPECT_EQ(message.find(file), message.rfind(file)) << "the file is named once: " << message;
}

// Hostile headers, made from a real NIfTI: an infinite sform row (ITK would abort the process) and
// a gzip stream whose CRC fails (ITK would read garbage) are errors naming the file.
TEST_F(RealData, NiftiWithNonFiniteSformOrABadCrcIsAnErrorNotACrash) {
  const fs::path source = kData / "ibsi_digital_phantom/image.nii.gz";
  gzFile in = gzopen(source.c_str(), "rb");
  std::vector<char> bytes(1 << 20);
  const int length = gzread(in, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(in);
  ASSERT_GT(length, 352);
  bytes.resize(static_cast<size_t>(length));
  auto write_raw = [&](const fs::path& to, const std::vector<char>& data) {
    std::ofstream(to, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  };
  auto sform_broken = bytes;
  const int16_t sform_code = 1;
  const float infinity = std::numeric_limits<float>::infinity();
  std::memcpy(sform_broken.data() + 254, &sform_code, 2);
  std::memcpy(sform_broken.data() + 280, &infinity, 4);  // srow_x[0]
  write_raw(dir_ / "sform.nii", sform_broken);
  std::string message = message_of([&] { read_image(dir_ / "sform.nii"); });
  EXPECT_NE(message.find((dir_ / "sform.nii").string() + ": NIfTI srow_x holds inf"), std::string::npos) << message;

  // The real .nii.gz with one byte of its CRC trailer changed.
  std::ifstream file(source, std::ios::binary);
  std::vector<char> compressed((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  compressed[compressed.size() - 6] ^= 0x5a;
  write_raw(dir_ / "crc.nii.gz", compressed);
  message = message_of([&] { read_image(dir_ / "crc.nii.gz"); });
  EXPECT_NE(message.find((dir_ / "crc.nii.gz").string() + ": the gzip stream is corrupt"), std::string::npos)
      << message;
  EXPECT_NO_THROW(read_image(source));
  // Found by fuzz_image_header: the phantom's header with a wrong sizeof_hdr (which ITK still reads)
  // and a NaN in srow_y; ITK aborted the process.
  // And with a NIfTI-2 magic in a NIfTI-1 header, which ITK reads as NIfTI-1 all the same.
  for (const char* name : {"nifti_bad_sizeof_nan_srow.nii", "nifti_magic_n2_nan_srow.nii"}) {
    const fs::path finding = kData / "fuzz_findings" / name;
    message = message_of([&] { read_image(finding); });
    EXPECT_NE(message.find(finding.string() + ": NIfTI srow_y holds"), std::string::npos) << message;
  }
}

// The real brain1 NRRD with its header claiming 1024 x 1024 x 1000 voxels: refused from the file's
// size (deflate cannot hold 4 GB in 750 KB) before any voxel is allocated.
TEST_F(RealData, AHeaderClaimingMoreVoxelsThanTheFileCanHoldIsRefusedBeforeAllocating) {
  std::ifstream in(kData / "pyradiomics/brain1_image.nrrd", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = bytes.find("sizes: ");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, bytes.find('\n', at) - at, "sizes: 1024 1024 1000");
  std::ofstream(dir_ / "claims.nrrd", std::ios::binary) << bytes;
  const std::string message = message_of([&] { read_image(dir_ / "claims.nrrd"); });
  EXPECT_NE(message.find((dir_ / "claims.nrrd").string() + ": its header claims 1.04858e+09 voxels"), std::string::npos)
      << message;
  EXPECT_NE(message.find("cannot hold them even compressed"), std::string::npos) << message;
}

// The real BUSI mask with its PNG header claiming 100000 x 100000 pixels: refused by the memory
// budget before OpenCV decodes anything.
TEST_F(RealData, APngClaimingAGigapixelIsRefusedBeforeDecoding) {
  std::ifstream in(kData / "ultrasound_busi/malignant_1_mask.png", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t at : {16, 20}) {
    bytes[at] = 0, bytes[at + 1] = 0x01, bytes[at + 2] = char(0x86), bytes[at + 3] = char(0xa0);  // 100000
  }
  std::ofstream(dir_ / "huge.png", std::ios::binary) << bytes;
  ::setenv("VBIOPSY_MEMORY_BUDGET_MB", "4096", 1);
  const std::string message = message_of([&] { read_mask(dir_ / "huge.png"); });
  ::unsetenv("VBIOPSY_MEMORY_BUDGET_MB");
  EXPECT_NE(message.find((dir_ / "huge.png").string() + ": its PNG header's 100000 x 100000 pixels would need"),
            std::string::npos)
      << message;
}

// OpenCV picks its decoder by content: a ".png" holding DICOM bytes went to GDCM, whose assertion
// aborted the process (found by fuzz_picture). A picture must start with its suffix's signature.
TEST_F(RealData, APictureWhoseBytesAreNotItsSuffixsFormatIsRefusedByName) {
  const fs::path finding = kData / "fuzz_findings/png_suffix_dicm_bytes.png";
  std::string message = message_of([&] { read_image(finding); });
  EXPECT_NE(message.find(finding.string() + ": not a PNG file: it starts with DA 00 00 00"), std::string::npos)
      << message;
  fs::copy_file(kData / "dicom/CT_small.dcm", dir_ / "ct.jpg");
  message = message_of([&] { read_mask(dir_ / "ct.jpg"); });
  EXPECT_NE(message.find((dir_ / "ct.jpg").string() + ": not a JPEG file"), std::string::npos) << message;
  EXPECT_NE(message.find("a JPEG file starts with FF D8 FF"), std::string::npos) << message;
  EXPECT_NO_THROW(read_image(kData / "ultrasound_busi/malignant_1_mask.png"));
}

// ITK's NIfTI reader zeroes NaN and infinite voxels; they are kept, and named.
TEST_F(RealData, NonFiniteNiftiVoxelsAreKeptAndNamedNotZeroed) {
  const core::Image phantom = read_image(kData / "ibsi_digital_phantom/image.nii.gz");
  write_image(phantom, dir_ / "float.nii");  // float32 NIfTI of the real phantom
  std::ifstream in(dir_ / "float.nii", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  float offset = 0;
  std::memcpy(&offset, bytes.data() + 108, 4);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::memcpy(bytes.data() + size_t(offset) + 4 * 7, &nan, 4);
  std::memcpy(bytes.data() + size_t(offset) + 4 * 9, &inf, 4);
  std::ofstream(dir_ / "nan.nii", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  core::WarningCollector warnings;
  const core::Image read = read_image(dir_ / "nan.nii");
  EXPECT_TRUE(std::isnan(read.voxels[7]));
  EXPECT_TRUE(std::isinf(read.voxels[9]));
  EXPECT_EQ(read.voxels[8], phantom.voxels[8]);
  ASSERT_EQ(warnings.messages().size(), 1u);
  EXPECT_NE(warnings.messages()[0].find((dir_ / "nan.nii").string() + ": 2 voxels are NaN or infinite"),
            std::string::npos);
  const std::string message = message_of([&] { read_mask(dir_ / "nan.nii"); });
  EXPECT_NE(message.find("voxel 7 holds nan"), std::string::npos) << message;
}

}  // namespace
}  // namespace vbiopsy::modalities
