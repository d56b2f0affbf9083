// The prediction's DICOM Comprehensive SR, read back by DCMTK's own command-line tools (dsrdump
// for the content tree, dcmdump for the header) rather than by the code that wrote it.
#include "modalities/dicom/structured_report.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <gtest/gtest.h>

#include "../test_support.h"

namespace vbiopsy::modalities::dicom {
namespace {
namespace fs = std::filesystem;
using testing_support::message_of;
using testing_support::run_command;
const fs::path kData = VBIOPSY_TEST_DATA;

class StructuredReport : public testing_support::TempFolderTest {
 protected:
  PredictionReport report() const {
    PredictionReport r;
    r.algorithm_name = "vbiopsy late[clinical+mri]";
    r.algorithm_version = "9.8.7";
    r.observation_subject = "case_017";
    r.probabilities = {{"HER2-zero", 0.125}, {"HER2-low", 0.625}, {"HER2-positive", 0.25}};
    r.predicted_class = "HER2-low";
    r.prediction_set = "HER2-low or HER2-positive (alpha 0.1)";
    r.model_sha256 = std::string(64, 'a');
    r.warnings = {"mri lies far from the training cases"};
    r.statement = "Research use only; not a medical device.";
    return r;
  }
  static bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }
};

TEST_F(StructuredReport, DsrdumpReadsThePredictionAndDcmdumpItsEvidence) {
  const auto mr = instance_reference_of(kData / "dicom/MR_small.dcm");
  auto r = report();
  r.evidence = {mr};
  const auto file = dir_ / "prediction_sr.dcm";
  write_prediction_sr(r, file);

  const auto dump = run_command("dsrdump +Pl +Pc " + file.string());
  ASSERT_EQ(dump.status, 0) << dump.output;
  for (const std::string expected :
       {"Comprehensive SR", "HER2 status virtual biopsy", "Algorithm Version", "9.8.7", "Probability of HER2-low",
        "\"62.50\" (%,UCUM", "\"12.50\" (%,UCUM", "\"25.00\" (%,UCUM", "COMPLETE",
        "(VB-HER2-LOW,99VBIOPSY,\"HER2-low\")", "HER2-low or HER2-positive (alpha 0.1)", "not a medical device",
        "mri lies far from the training cases", "case_017"})
    EXPECT_TRUE(has(dump.output, expected)) << expected << "\n" << dump.output;
  EXPECT_FALSE(has(dump.output, "Error") || has(dump.output, "W: ")) << dump.output;

  // One input study: the SR is a new series in it, and the evidence names the input instance.
  const auto header =
      run_command("dcmdump +P StudyInstanceUID +P ReferencedSOPInstanceUID +P SeriesInstanceUID " + file.string());
  ASSERT_EQ(header.status, 0) << header.output;
  EXPECT_TRUE(has(header.output, "[" + mr.study_uid + "]")) << header.output;
  EXPECT_TRUE(has(header.output, "[" + mr.sop_instance_uid + "]")) << header.output;
  EXPECT_TRUE(has(header.output, "[" + mr.series_uid + "]")) << header.output;  // the referenced series
}

TEST_F(StructuredReport, InputsFromTwoStudiesGiveANewStudyAndNoInputsStillWrite) {
  const auto mr = instance_reference_of(kData / "dicom/MR_small.dcm");
  const auto ct = instance_reference_of(kData / "dicom/CT_small.dcm");
  ASSERT_NE(mr.study_uid, ct.study_uid);
  auto r = report();
  r.evidence = {mr, ct};
  write_prediction_sr(r, dir_ / "two.dcm");
  const auto header = run_command("dcmdump +P StudyInstanceUID " + (dir_ / "two.dcm").string());
  EXPECT_TRUE(has(header.output, "[" + mr.study_uid + "]") && has(header.output, "[" + ct.study_uid + "]"))
      << header.output;
  const auto first = header.output.substr(0, header.output.find('\n'));  // the SR's own study comes first
  EXPECT_FALSE(has(first, mr.study_uid) || has(first, ct.study_uid)) << header.output;

  r.evidence.clear();
  write_prediction_sr(r, dir_ / "none.dcm");
  EXPECT_EQ(run_command("dsrdump " + (dir_ / "none.dcm").string()).status, 0);
}

TEST_F(StructuredReport, AnInputWithoutItsUidsOrNotDicomIsNamed) {
  DcmFileFormat format;
  ASSERT_TRUE(format.loadFile((kData / "dicom/MR_small.dcm").c_str()).good());
  format.getDataset()->findAndDeleteElement(DCM_SOPInstanceUID);
  const auto edited = dir_ / "no_instance_uid.dcm";
  ASSERT_TRUE(format.saveFile(edited.c_str()).good());
  auto message = message_of([&] { instance_reference_of(edited); });
  EXPECT_TRUE(has(message, edited.string()) && has(message, "SOPInstanceUID")) << message;

  message = message_of([&] { instance_reference_of(kData / "ultrasound_busi/benign_1.png"); });
  EXPECT_TRUE(has(message, "benign_1.png") && has(message, "not a readable DICOM file")) << message;
}

}  // namespace
}  // namespace vbiopsy::modalities::dicom
