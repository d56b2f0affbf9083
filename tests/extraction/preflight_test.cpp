// The preflight (vbiopsy validate --config, and runs that extract) finds every input problem the
// extraction would fail on, on a cohort with one case of each kind; binary masks of any stored
// value simply work, and a label that is not there is named with the file and the values found.
#include "extraction/inputs.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <set>
#include <unistd.h>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "encoders/radiomics/roi.h"
#include "extraction/cohort_extraction.h"
#include "modalities/mask_loading.h"
#include "modalities/case_loader.h"
#include "modalities/cohort_check.h"
#include "modalities/image_io.h"
#include "modalities/synthetic_cohort.h"

namespace vbiopsy::extraction {
namespace {
namespace fs = std::filesystem;
using encoders::radiomics::Discretisation;
using encoders::radiomics::ExtractionSettings;
using encoders::radiomics::kAnyLabel;
using encoders::radiomics::region_of;

class Preflight : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vbiopsy_preflight_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    modalities::SynthWriteOptions o;
    o.synth.cases = 5;
    o.synth.seed = 23;
    o.threads = 2;
    modalities::write_synthetic_cohort(o, dir_ / "cohort");
    cohort_ = datasets::read_cohort(dir_ / "cohort" / "manifest.csv").cohort;
    settings_.radiomics.discretisation.method = Discretisation::kFixedBinNumber;
    settings_.radiomics.discretisation.bin_number = 8;
    settings_.radiomics.families = {"stats", "glcm"};
    settings_.threads = 2;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Case ids with a preflight problem, and with an extraction failure.
  std::pair<std::set<std::string>, std::set<std::string>> both(const datasets::Cohort& cohort, const fs::path& out) {
    std::set<std::string> found, failed;
    const auto checks = modalities::check_cases(cohort, 2, extraction_loaders(settings_));
    for (const auto& check : checks)
      for (const auto& p : check.problems) found.insert(p.case_id);
    for (const auto& f : extract_cohort(cohort, settings_, out).failures) failed.insert(f.case_id);
    return {found, failed};
  }
  fs::path dir_;
  datasets::Cohort cohort_;
  CohortExtractionSettings settings_;
};

TEST_F(Preflight, FindsEveryCaseTheExtractionWouldFailOn) {
  auto& cases = cohort_.cases;
  ASSERT_GE(cases.size(), 5u);
  // Case 0: its MRI mask stored as 0/255 (as labelling tools save them): fine without a label.
  auto mask = modalities::read_mask(cases[0].mri->mask);
  for (auto& v : mask.voxels) v = v ? 255 : 0;
  modalities::write_mask(mask, dir_ / "mask255.nii.gz");
  cases[0].mri->mask = dir_ / "mask255.nii.gz";
  // Case 1: a 2-phase DCE, which kinetics and Tofts cannot use.
  cases[1].mri->dce.resize(2);
  cases[1].mri->dce_times_s.resize(2);
  // Case 2: a mask holding labels 1 and 2.
  auto labels = modalities::read_mask(cases[2].mri->mask);
  size_t seen = 0;
  for (auto& v : labels.voxels)
    if (v && ++seen % 2 == 0) v = 2;
  modalities::write_mask(labels, dir_ / "labels12.nii.gz");
  cases[2].mri->mask = dir_ / "labels12.nii.gz";
  // Case 3: no T2 while the settings ask for T2 radiomics (a warning, not a failure), and its
  // ultrasound mask saved in colour with an alpha channel, as labelling tools do.
  cases[3].mri->t2.reset();
  ASSERT_TRUE(cases[3].ultrasound.has_value());
  const cv::Mat grey = cv::imread(cases[3].ultrasound->masks[0].string(), cv::IMREAD_GRAYSCALE);
  cv::Mat rgba, zeros = cv::Mat::zeros(grey.size(), CV_8U), opaque(grey.size(), CV_8U, cv::Scalar(255));
  cv::merge(std::vector<cv::Mat>{zeros, grey * 255, zeros, opaque}, rgba);
  cv::imwrite((dir_ / "us_mask_rgba.png").string(), rgba);
  cases[3].ultrasound->masks = {dir_ / "us_mask_rgba.png"};
  settings_.kinetics = true;
  settings_.sequences = {"t2"};

  auto [found, failed] = both(cohort_, dir_ / "out");
  EXPECT_EQ(found, (std::set<std::string>{cases[1].case_id}));
  EXPECT_EQ(failed, found) << "the preflight and the extraction disagree";
  const auto checks = modalities::check_cases(cohort_, 2, extraction_loaders(settings_));
  ASSERT_EQ(checks[1].problems.size(), 1u);
  EXPECT_NE(checks[1].problems[0].message.find(
                "2 DCE phases, but [mri] kinetics needs a pre-contrast and at least two post-contrast"),
            std::string::npos)
      << checks[1].problems[0].message;
  bool t2_named = false, labels_named = false;
  for (const auto& w : checks[3].warnings) t2_named = t2_named || w.find("no T2-weighted image") != std::string::npos;
  for (const auto& w : checks[2].warnings)
    labels_named = labels_named || w.find("several labels (1, 2)") != std::string::npos;
  EXPECT_TRUE(t2_named);
  EXPECT_TRUE(labels_named);

  // Asking for label 1: the 0/255 mask lacks it, named with its file and values; the extraction
  // fails on the same case.
  settings_.radiomics.label = 1;
  std::tie(found, failed) = both(cohort_, dir_ / "out1");
  EXPECT_EQ(found, (std::set<std::string>{cases[0].case_id, cases[1].case_id}));
  EXPECT_EQ(failed, found);
  const auto labelled = modalities::check_cases(cohort_, 2, extraction_loaders(settings_));
  ASSERT_FALSE(labelled[0].problems.empty());
  const std::string message = labelled[0].problems[0].message;
  EXPECT_NE(message.find((dir_ / "mask255.nii.gz").string() +
                         ": label 1 (setting.label) does not occur in the mask, which holds the values 0, 255"),
            std::string::npos)
      << message;

  // Label 2 of the two-label mask: only that label's voxels form the region.
  settings_.radiomics.label = 2;
  settings_.kinetics = false;
  cases[2].mri->mask_reader2.reset();  // the second reader drew one label only
  const auto mri = load_mri_for_extraction(*cases[2].mri, settings_);
  EXPECT_EQ(core::count_nonzero(mri.mask), seen / 2);
}

TEST_F(Preflight, A255MaskGivesTheSameFeaturesAsItsOneValuedTwin) {
  datasets::Cohort one;
  one.cases = {cohort_.cases[0]};
  extract_cohort(one, settings_, dir_ / "a");
  auto mask = modalities::read_mask(one.cases[0].mri->mask);
  for (auto& v : mask.voxels) v = v ? 255 : 0;
  modalities::write_mask(mask, dir_ / "mask255.nii.gz");
  one.cases[0].mri->mask = dir_ / "mask255.nii.gz";
  const auto result = extract_cohort(one, settings_, dir_ / "b");
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(core::read_text_file(dir_ / "a" / "features.csv"), core::read_text_file(dir_ / "b" / "features.csv"));
}

// A DICOM Segmentation's segment is picked by its SegmentLabel (dcmqi's real SEG: segment 1 "Liver").
TEST(SelectRegion, ASegmentationSegmentIsPickedByItsLabelAndAMissingOneIsNamed) {
  const fs::path dir = fs::path(VBIOPSY_TEST_DATA) / "dicom_seg_dcmqi";
  const auto image = modalities::read_image(dir / "image");
  const auto seg = modalities::load_mask_for(dir / "label.seg.dcm", image, dir / "image");
  const auto twin = modalities::read_mask(dir / "label.nrrd");
  ExtractionSettings settings;
  settings.segment = "liver";
  EXPECT_EQ(select_region(seg, dir / "label.seg.dcm", settings).voxels, region_of(twin, kAnyLabel).voxels);
  settings.segment = "Lesion";
  try {
    select_region(seg, dir / "label.seg.dcm", settings);
    FAIL() << "a segment that is not there was selected";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no segment labelled 'Lesion' (setting.segment); its segments: 1 'Liver'"),
              std::string::npos)
        << e.what();
  }
  try {
    select_region(twin, dir / "label.nrrd", settings);
    FAIL() << "a segment label was applied to a label image";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("this mask is not one (use setting.label"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vbiopsy::extraction
