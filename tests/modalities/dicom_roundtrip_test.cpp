#include "modalities/dicom/dicom_writer.h"

#include <gtest/gtest.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcpxitem.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "core/error.h"
#include "core/random.h"
#include "core/warnings.h"
#include "modalities/dicom/dicom_series.h"

namespace vbiopsy::modalities::dicom {
namespace {
namespace fs = std::filesystem;

class DicomRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vbiopsy_dicom_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static core::Image oblique_volume(uint64_t seed) {
    core::Geometry g;
    g.size = {7, 5, 6};
    g.spacing = {0.8, 0.9, 2.5};
    g.origin = {-12.5, 30.25, 7};
    const double c = std::cos(0.4), s = std::sin(0.4);
    g.direction = {c, 0, s, 0, 1, 0, -s, 0, c};  // rotated about y
    core::Image image(g);
    core::Rng rng(seed);
    for (auto& v : image.voxels) v = static_cast<float>(std::round(rng.uniform(0, 3000)));
    return image;
  }
  static DicomWriteInfo mr_info() {
    DicomWriteInfo info;
    info.sop_class_uid = UID_MRImageStorage;
    info.modality = "MR";
    info.patient_id = "T";
    info.study_uid = make_uid("study");
    info.series_uid = make_uid("series");
    return info;
  }
  fs::path dir_;
};

TEST_F(DicomRoundTrip, SortsSlicesByPositionNotInstanceNumber) {
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    fs::remove_all(dir_);
    core::Image volume = oblique_volume(seed);
    core::Rng rng(seed);
    std::vector<int> instance = {4, 1, 6, 2, 5, 3};  // shuffled against position
    auto info = mr_info();
    info.rescale_slope = 0.5;
    info.rescale_intercept = -100;
    for (size_t k = 0; k < 6; ++k)
      write_dicom_slice(volume, k, instance[k], info, dir_ / ("f" + std::to_string(rng.below(1000000)) + ".dcm"));
    core::Image loaded = load_volume(dir_);
    EXPECT_EQ(core::describe_grid_mismatch(loaded.geometry, volume.geometry), "");
    EXPECT_EQ(loaded.voxels, volume.voxels);
  }
}

TEST_F(DicomRoundTrip, AMissingSliceIsNamedWithItsNeighbours) {
  core::Image volume = oblique_volume(4);
  for (size_t k : {0, 1, 2, 4})
    write_dicom_slice(volume, k, static_cast<int>(k + 1), mr_info(), dir_ / ("s" + std::to_string(k) + ".dcm"));
  try {
    load_volume(dir_);
    FAIL() << "a missing slice went unnoticed";
  } catch (const core::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("the gap between " + (dir_ / "s2.dcm").string() + " and " + (dir_ / "s4.dcm").string() +
                           " is 5 mm"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("median gap is 2.5 mm"), std::string::npos) << message;
    EXPECT_NE(message.find("a slice is missing"), std::string::npos) << message;
  }
}

TEST_F(DicomRoundTrip, DcePhasesWithTheSameTimeAndSeriesNumberAreAnErrorNotAGuess) {
  for (int p = 0; p < 2; ++p) {
    auto info = mr_info();
    info.series_uid = make_uid("same" + std::to_string(p));
    info.series_number = 7;
    info.acquisition_time_s = 9 * 3600.0;
    const auto volume = oblique_volume(30 + p);
    for (size_t k = 0; k < 6; ++k)
      write_dicom_slice(volume, k, int(k + 1), info,
                        dir_ / ("s" + std::to_string(p)) / ("i" + std::to_string(k) + ".dcm"));
  }
  try {
    load_phases(dir_, PhaseKey::kTime);
    FAIL() << "two phases of unknown order were ordered silently";
  } catch (const core::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("order of the DCE phases is ambiguous"), std::string::npos) << message;
    EXPECT_NE(message.find(make_uid("same0")), std::string::npos) << message;
    EXPECT_NE(message.find(make_uid("same1")), std::string::npos) << message;
    EXPECT_NE(message.find("dce_times.txt"), std::string::npos) << message;
  }
  // The same acquisition time with distinct series numbers: ordered by number, and said so.
  fs::remove_all(dir_);
  for (int p = 0; p < 2; ++p) {
    auto info = mr_info();
    info.series_uid = make_uid("numbered" + std::to_string(1 - p));  // UID order opposite to number order
    info.series_number = 7 + p;
    info.acquisition_time_s = 9 * 3600.0;
    const auto volume = oblique_volume(40 + p);
    for (size_t k = 0; k < 6; ++k)
      write_dicom_slice(volume, k, int(k + 1), info,
                        dir_ / ("s" + std::to_string(p)) / ("i" + std::to_string(k) + ".dcm"));
  }
  core::WarningCollector warnings;
  const auto loaded = load_phases(dir_, PhaseKey::kTime);
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].image.voxels, oblique_volume(40).voxels);
  EXPECT_EQ(loaded[1].image.voxels, oblique_volume(41).voxels);
  ASSERT_EQ(warnings.messages().size(), 1u);
  EXPECT_NE(warnings.messages()[0].find("ordered by SeriesNumber"), std::string::npos) << warnings.messages()[0];
}

TEST_F(DicomRoundTrip, GroupsDcePhasesByTemporalPositionWithTheirTimes) {
  auto info = mr_info();
  std::vector<core::Image> phases;
  for (int p = 0; p < 3; ++p) {
    phases.push_back(oblique_volume(10 + p));
    info.temporal_position = 3 - p;  // written in reverse temporal order
    info.acquisition_time_s = 9 * 3600 + 60.0 * (3 - p - 1);
    for (size_t k = 0; k < 6; ++k)
      write_dicom_slice(phases.back(), k, static_cast<int>(p * 6 + k + 1), info,
                        dir_ / ("p" + std::to_string(p) + "_" + std::to_string(k) + ".dcm"));
  }
  auto loaded = load_phases(dir_, PhaseKey::kTime);
  ASSERT_EQ(loaded.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(*loaded[i].time_s, 60.0 * i, 1e-6);
    EXPECT_EQ(loaded[i].image.voxels, phases[2 - i].voxels);
  }
}

TEST_F(DicomRoundTrip, DcePhasesGivenAsSeparateSeriesAreOrderedByTheirAcquisitionTime) {
  std::vector<core::Image> phases;
  const double times[3] = {9 * 3600 + 120.0, 9 * 3600.0, 9 * 3600 + 60.0};  // written out of order
  for (int p = 0; p < 3; ++p) {
    auto info = mr_info();
    info.series_uid = make_uid("phase" + std::to_string(p));
    info.series_number = 10 + p;
    info.acquisition_time_s = times[p];
    phases.push_back(oblique_volume(20 + p));
    for (size_t k = 0; k < 6; ++k)
      write_dicom_slice(phases.back(), k, int(k + 1), info,
                        dir_ / ("s" + std::to_string(p)) / ("i" + std::to_string(k) + ".dcm"));
  }
  auto loaded = load_phases(dir_, PhaseKey::kTime);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0].image.voxels, phases[1].voxels);  // 09:00:00
  EXPECT_EQ(loaded[1].image.voxels, phases[2].voxels);  // 09:01:00
  EXPECT_EQ(loaded[2].image.voxels, phases[0].voxels);  // 09:02:00
  EXPECT_NEAR(*loaded[1].time_s, 60, 1e-6);
  EXPECT_NEAR(*loaded[2].time_s, 120, 1e-6);
}

TEST_F(DicomRoundTrip, EnhancedMultiFrameMrTakesGeometryAndRescaleFromFunctionalGroups) {
  // An enhanced MR object: 4 frames, positions per frame (in reverse order), orientation, spacing
  // and rescale in the shared functional groups.
  DcmFileFormat format;
  DcmDataset* ds = format.getDataset();
  ds->putAndInsertString(DCM_SOPClassUID, UID_EnhancedMRImageStorage);
  ds->putAndInsertString(DCM_SOPInstanceUID, make_uid("enhanced").c_str());
  ds->putAndInsertString(DCM_SeriesInstanceUID, make_uid("enhanced-series").c_str());
  ds->putAndInsertString(DCM_Modality, "MR");
  ds->putAndInsertUint16(DCM_Rows, 3);
  ds->putAndInsertUint16(DCM_Columns, 2);
  ds->putAndInsertString(DCM_NumberOfFrames, "4");
  ds->putAndInsertUint16(DCM_BitsAllocated, 16);
  ds->putAndInsertUint16(DCM_BitsStored, 16);
  ds->putAndInsertUint16(DCM_HighBit, 15);
  ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
  ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
  DcmItem* shared = nullptr;
  ASSERT_TRUE(ds->findOrCreateSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0).good());
  DcmItem* item = nullptr;
  shared->findOrCreateSequenceItem(DCM_PixelMeasuresSequence, item, 0);
  item->putAndInsertString(DCM_PixelSpacing, "0.5\\0.75");
  item->putAndInsertString(DCM_SliceThickness, "3");
  shared->findOrCreateSequenceItem(DCM_PlaneOrientationSequence, item, 0);
  item->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
  shared->findOrCreateSequenceItem(DCM_PixelValueTransformationSequence, item, 0);
  item->putAndInsertString(DCM_RescaleSlope, "2");
  item->putAndInsertString(DCM_RescaleIntercept, "-10");
  for (int f = 0; f < 4; ++f) {
    DcmItem* frame = nullptr;
    ASSERT_TRUE(ds->findOrCreateSequenceItem(DCM_PerFrameFunctionalGroupsSequence, frame, f).good());
    frame->findOrCreateSequenceItem(DCM_PlanePositionSequence, item, 0);
    item->putAndInsertString(DCM_ImagePositionPatient, ("10\\20\\" + std::to_string(9 - 3 * f)).c_str());
  }
  std::vector<Uint16> pixels(24);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = Uint16(i);
  ds->putAndInsertUint16Array(DCM_PixelData, pixels.data(), pixels.size());
  fs::create_directories(dir_);
  ASSERT_TRUE(format.saveFile((dir_ / "enhanced.dcm").c_str(), EXS_LittleEndianExplicit).good());

  const core::Image volume = load_volume(dir_ / "enhanced.dcm");
  EXPECT_EQ(volume.geometry.size, (std::array<size_t, 3>{2, 3, 4}));
  EXPECT_DOUBLE_EQ(volume.geometry.spacing[0], 0.75);  // PixelSpacing is (row pitch, column pitch)
  EXPECT_DOUBLE_EQ(volume.geometry.spacing[1], 0.5);
  EXPECT_DOUBLE_EQ(volume.geometry.spacing[2], 3.0);
  EXPECT_DOUBLE_EQ(volume.geometry.origin[2], 0.0);     // the lowest frame (written last) comes first
  EXPECT_FLOAT_EQ(volume.at(0, 0, 0), 2.0f * 18 - 10);  // frame 4's first pixel, rescaled
  EXPECT_FLOAT_EQ(volume.at(1, 2, 3), 2.0f * 5 - 10);   // frame 1's last pixel
}

TEST_F(DicomRoundTrip, Monochrome1IsInvertedBackAndUltrasoundRegionsGiveSpacing) {
  core::Geometry g;
  g.size = {9, 4, 1};
  g.spacing = {0.12, 0.12, 1};
  core::Image frame(g);
  for (size_t i = 0; i < frame.voxels.size(); ++i) frame.voxels[i] = static_cast<float>(i * 37 % 4096);
  auto info = mr_info();
  info.modality = "MG";
  info.sop_class_uid = UID_DigitalMammographyXRayImageStorageForPresentation;
  info.photometric = "MONOCHROME1";
  info.bits_stored = 12;
  info.laterality = "L";
  info.view_position = "MLO";
  write_dicom_frames({frame}, info, dir_ / "mg.dcm");
  DicomObject mg = read_dicom(dir_ / "mg.dcm");
  EXPECT_EQ(mg.photometric, "MONOCHROME1");
  EXPECT_EQ(mg.frames[0].pixels, frame.voxels);
  EXPECT_EQ(mg.laterality, "L");
  EXPECT_EQ(mg.view_position, "MLO");

  info.modality = "US";
  info.photometric = "RGB";
  info.bits_stored = 8;
  info.ultrasound_regions = true;
  for (auto& v : frame.voxels) v = std::fmod(v, 256.0f);
  write_dicom_frames({frame, frame}, info, dir_ / "us.dcm");
  DicomObject us = read_dicom(dir_ / "us.dcm");
  ASSERT_EQ(us.frames.size(), 2u);
  ASSERT_TRUE(us.ultrasound_spacing);
  EXPECT_NEAR((*us.ultrasound_spacing)[0], 0.12, 1e-9);
  for (size_t i = 0; i < frame.voxels.size(); ++i) EXPECT_NEAR(us.frames[1].pixels[i], frame.voxels[i], 1e-3);
}

TEST_F(DicomRoundTrip, Jpeg2000FailsWithAnUnsupportedTransferSyntaxMessage) {
  // An encapsulated JPEG 2000 object: DCMTK 3.6.7 has no JPEG 2000 decoder.
  DcmFileFormat format;
  DcmDataset* ds = format.getDataset();
  ds->putAndInsertString(DCM_SOPClassUID, UID_MRImageStorage);
  ds->putAndInsertString(DCM_SOPInstanceUID, make_uid("j2k").c_str());
  ds->putAndInsertString(DCM_Modality, "MR");
  ds->putAndInsertUint16(DCM_Rows, 2);
  ds->putAndInsertUint16(DCM_Columns, 2);
  ds->putAndInsertUint16(DCM_BitsAllocated, 16);
  ds->putAndInsertUint16(DCM_BitsStored, 16);
  ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
  auto* pixel_data = new DcmPixelData(DCM_PixelData);
  auto* sequence = new DcmPixelSequence(DCM_PixelSequenceTag);
  sequence->insert(new DcmPixelItem(DcmTag(DCM_Item, EVR_OB)));  // empty offset table
  auto* fragment = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
  Uint8 codestream[8] = {0xFF, 0x4F, 0xFF, 0x51, 0, 0, 0, 0};
  fragment->putUint8Array(codestream, 8);
  sequence->insert(fragment);
  pixel_data->putOriginalRepresentation(EXS_JPEG2000LosslessOnly, nullptr, sequence);
  ds->insert(pixel_data);
  fs::create_directories(dir_);
  ASSERT_TRUE(format.saveFile((dir_ / "j2k.dcm").c_str(), EXS_JPEG2000LosslessOnly).good());
  try {
    read_dicom(dir_ / "j2k.dcm");
    FAIL() << "JPEG 2000 decoded unexpectedly";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported transfer syntax JPEG 2000"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vbiopsy::modalities::dicom
