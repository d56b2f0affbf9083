#include "encoders/radiomics/cohort_extraction.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "core/csv.h"
#include "core/files.h"
#include "modalities/synthetic_cohort.h"

namespace vbiopsy::encoders::radiomics {
namespace {
namespace fs = std::filesystem;

class CohortExtraction : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vbiopsy_extract_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    modalities::SynthWriteOptions o;
    o.synth.cases = 4;
    o.synth.seed = 17;
    o.threads = 2;
    modalities::write_synthetic_cohort(o, dir_ / "cohort");
    cohort_ = datasets::read_cohort(dir_ / "cohort" / "manifest.csv").cohort;
    settings_.radiomics.discretisation.method = Discretisation::kFixedBinNumber;
    settings_.radiomics.discretisation.bin_number = 8;
    settings_.radiomics.families = {"stats", "glcm", "ngtdm"};
    settings_.rings_mm = {2};
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  datasets::Cohort cohort_;
  CohortExtractionSettings settings_;
};

TEST_F(CohortExtraction, SameTableWhateverTheThreadsAndTheSecondRunComesFromTheCache) {
  settings_.threads = 1;
  auto first = extract_cohort(cohort_, settings_, dir_ / "one");
  settings_.threads = 2;
  auto second = extract_cohort(cohort_, settings_, dir_ / "two");
  EXPECT_TRUE(first.failures.empty());
  EXPECT_GT(first.computed, 0u);
  EXPECT_EQ(core::read_text_file(dir_ / "one" / "features.csv"), core::read_text_file(dir_ / "two" / "features.csv"));
  auto again = extract_cohort(cohort_, settings_, dir_ / "one");
  EXPECT_EQ(again.computed, 0u);
  EXPECT_EQ(again.from_cache, first.computed);
  EXPECT_EQ(core::read_text_file(dir_ / "one" / "features.csv"), core::read_text_file(dir_ / "two" / "features.csv"));
}

TEST_F(CohortExtraction, OneRowPerCaseWithEmptyCellsForAbsentModalities) {
  settings_.threads = 2;
  extract_cohort(cohort_, settings_, dir_ / "out");
  auto table = core::read_csv(dir_ / "out" / "features.csv");
  ASSERT_EQ(table.rows.size(), cohort_.cases.size());
  const size_t ring = *table.column("mri_dce1_ring2mm_stats_mean_intensity");
  const size_t us = *table.column("us_tumour_glcm_joint_maximum_3D_averaged");
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& c = cohort_.cases[r];
    EXPECT_EQ(table.rows[r][0], c.case_id);
    EXPECT_EQ(table.rows[r][ring].empty(), !c.mri.has_value());
    EXPECT_EQ(table.rows[r][us].empty(), !c.ultrasound.has_value());
  }
}

TEST_F(CohortExtraction, ChangedSettingsOrInputsAreNotServedFromTheCache) {
  settings_.threads = 2;
  auto first = extract_cohort(cohort_, settings_, dir_ / "out");
  settings_.radiomics.discretisation.bin_number = 16;
  auto rebinned = extract_cohort(cohort_, settings_, dir_ / "out");
  EXPECT_EQ(rebinned.from_cache, 0u);
  EXPECT_EQ(rebinned.computed, first.computed);
}

}  // namespace
}  // namespace vbiopsy::encoders::radiomics
