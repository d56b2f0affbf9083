#include "extraction/cohort_extraction.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <unistd.h>

#include "core/csv.h"
#include "core/files.h"
#include "core/strings.h"
#include "encoders/radiomics/settings.h"
#include "extraction/settings.h"
#include "modalities/case_loader.h"
#include "modalities/image_io.h"
#include "modalities/synthetic_cohort.h"

namespace vbiopsy::extraction {
namespace {
namespace fs = std::filesystem;
using encoders::radiomics::Discretisation;

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

// A rerun reads each case's modality whole from the cache: with every per-block entry deleted it
// still computes nothing (no image loaded, no ring built) and writes the same table; a changed
// input file is not served from it.
TEST_F(CohortExtraction, ARerunReadsEachCasesModalityWholeFromTheCache) {
  settings_.threads = 2;
  settings_.kinetics = true;
  const auto first = extract_cohort(cohort_, settings_, dir_ / "out");
  const auto table = core::read_text_file(dir_ / "out" / "features.csv");
  size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "out" / "cache"))
    if (entry.path().string().find(".case.csv") == std::string::npos) removed += fs::remove(entry.path());
  ASSERT_EQ(removed, first.computed);
  const auto again = extract_cohort(cohort_, settings_, dir_ / "out");
  EXPECT_EQ(again.computed, 0u);
  EXPECT_EQ(again.from_cache, first.computed);  // radiomics blocks; the kinetics summary is not counted
  EXPECT_EQ(core::read_text_file(dir_ / "out" / "features.csv"), table);

  const auto& changed = cohort_.cases.front();
  ASSERT_TRUE(changed.ultrasound.has_value());
  auto mask = modalities::read_mask(changed.ultrasound->masks[0]);  // one voxel leaves the region
  *std::find(mask.voxels.begin(), mask.voxels.end(), 1) = 0;
  modalities::write_mask(mask, changed.ultrasound->masks[0]);
  const auto after = extract_cohort(cohort_, settings_, dir_ / "out");
  EXPECT_EQ(after.computed, 1u);  // that case's ultrasound block only
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

// T2 and ADC blocks: the tumour's mean intensity equals the mean of the sequence (as the loader
// puts it on the DCE grid) over the tumour mask, and the rings follow.
TEST_F(CohortExtraction, T2AndAdcBlocksDescribeTheSequencesOnTheTumourAndRings) {
  settings_.sequences = {"t2", "adc"};
  settings_.threads = 2;
  const auto result = extract_cohort(cohort_, settings_, dir_ / "out");
  ASSERT_TRUE(result.failures.empty());
  const auto table = core::read_csv(dir_ / "out" / "features.csv");
  ASSERT_TRUE(table.column("mri_t2_ring2mm_stats_mean_intensity").has_value());
  const size_t t2 = *table.column("mri_t2_tumour_stats_mean_intensity"),
               adc = *table.column("mri_adc_tumour_stats_mean_intensity");
  size_t checked = 0;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& c = cohort_.cases[r];
    if (!c.mri) continue;
    const auto mri = modalities::load_mri(*c.mri);
    ASSERT_TRUE(mri.t2.has_value());
    double sum = 0, n = 0;
    for (size_t v = 0; v < mri.mask.voxels.size(); ++v)
      if (mri.mask.voxels[v]) {
        sum += mri.t2->voxels[v];
        n += 1;
      }
    EXPECT_NEAR(*core::parse_double(table.rows[r][t2]), sum / n, 1e-4 * std::abs(sum / n));
    EXPECT_GT(*core::parse_double(table.rows[r][adc]), 0.0);  // mm^2/s from the two b-values
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

// `vbiopsy extract` without a config records an empty settings file; reading it gives the defaults.
TEST(CohortExtractionSettings, AnEmptyIniGivesTheDefaultSettings) {
  const auto file = fs::temp_directory_path() / ("vbiopsy_empty_" + std::to_string(::getpid()) + ".ini");
  core::write_file_atomic(file, "; defaults\n");
  CohortExtractionSettings defaults;
  defaults.radiomics = encoders::radiomics::default_settings();
  EXPECT_EQ(write_cohort_settings(read_cohort_extraction_settings(file)), write_cohort_settings(defaults));
  fs::remove(file);
}

}  // namespace
}  // namespace vbiopsy::extraction

#include "modalities/image_io.h"
#include "modalities/mri/clustering.h"

namespace vbiopsy::extraction {
namespace {

TEST(CohortExtractionHabitats, WritesLabelMapsThatMatchThePlantedHabitats) {
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_extract_habitats_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  modalities::SynthWriteOptions o;
  o.synth.cases = 10;
  o.synth.seed = 31;
  o.synth.missing_mri = 0;
  o.threads = 2;
  modalities::write_synthetic_cohort(o, dir / "cohort");
  const auto cohort = datasets::read_cohort(dir / "cohort" / "manifest.csv").cohort;
  CohortExtractionSettings settings;
  settings.radiomics.discretisation.method = Discretisation::kFixedBinNumber;
  settings.radiomics.discretisation.bin_number = 8;
  settings.radiomics.families = {"stats"};
  settings.kinetics = true;
  settings.habitats = true;
  settings.threads = 2;
  const auto result = extract_cohort(cohort, settings, dir / "out");
  EXPECT_TRUE(result.failures.empty());
  double ari_sum = 0;
  for (const auto& c : cohort.cases) {
    const auto found = modalities::read_mask(dir / "out" / c.case_id / "mri" / "habitats.nii.gz");
    const auto planted = modalities::read_mask(dir / "cohort" / "truth" / c.case_id / "habitats.nii.gz");
    ASSERT_EQ(core::describe_grid_mismatch(found.geometry, planted.geometry), "");
    EXPECT_TRUE(fs::exists(dir / "out" / c.case_id / "mri" / "habitats_overlay.png"));
    std::vector<int> a, b;
    for (size_t v = 0; v < planted.voxels.size(); ++v)
      if (planted.voxels[v]) {
        a.push_back(found.voxels[v]);
        b.push_back(planted.voxels[v]);
      }
    ari_sum += modalities::mri::adjusted_rand_index(a, b);
  }
  EXPECT_GE(ari_sum / double(cohort.cases.size()), 0.8);
  auto table = core::read_csv(dir / "out" / "features.csv");
  const size_t f1 = *table.column("mri_habitats_habitat_1_fraction"), pe = *table.column("mri_kinetics_pe_mean");
  for (auto& row : table.rows) {
    double total = 0;
    for (size_t k = f1; k < f1 + 3 && k < row.size() && table.header[k].find("fraction") != std::string::npos; ++k)
      total += std::stod(row[k]);
    EXPECT_NEAR(total, 1.0, 1e-9);
    EXPECT_GT(std::stod(row[pe]), 0.0);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vbiopsy::extraction
