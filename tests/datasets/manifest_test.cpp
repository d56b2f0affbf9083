#include "datasets/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "core/files.h"
#include "tests/test_support.h"

namespace vbiopsy::datasets {
namespace {
namespace fs = std::filesystem;

class ManifestTest : public testing_support::TempFolderTest {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    core::write_file_atomic(dir_ / name, text);
    return dir_ / name;
  }
  bool has_problem(const CohortReading& r, const std::string& fragment) {
    for (auto& p : r.problems)
      if (to_string(p).find(fragment) != std::string::npos) return true;
    return false;
  }
};

TEST_F(ManifestTest, ReadsModalitiesLabelsAndJoinsTheClinicalTable) {
  auto manifest =
      write("manifest.csv",
            "case_id,site,ihc,ish,mri_dce,mri_dce_times,mri_mask,mg_laterality,mg_cc,mg_cc_box,us_frames,us_masks\n"
            "A1,S1,2+/FISH-,,mri/p0.nii.gz;mri/p1.nii.gz,0;60,mri/mask.nii.gz,left,mg/cc.dcm,10;20;30;40,,\n"
            "A2,S2,3+,,,,,,,,us/f1.png;us/f2.png,us/m.png\n"
            "A3,S1,2+,not done,,,,,,,us/f.png,us/m.png\n");
  write("clinical.csv",
        "case_id,ER,ki-67,age_years,tumor_size_mm,grade,unused\nA1,pos,15%,50,2.5 cm,G2,x\nA2,neg,40,61,18,III,y\n");
  auto r = read_cohort(manifest);
  ASSERT_TRUE(r.problems.empty()) << to_string(r.problems.front());
  ASSERT_EQ(r.cohort.cases.size(), 3u);
  const Case& a1 = r.cohort.cases[0];
  EXPECT_EQ(a1.patient_id, "A1");
  EXPECT_EQ(a1.label.her2, Her2Class::kLow);
  EXPECT_EQ(a1.label.ish, IshResult::kNotAmplified);
  ASSERT_TRUE(a1.mri);
  EXPECT_EQ(a1.mri->dce.size(), 2u);
  EXPECT_EQ(a1.mri->dce[1], dir_ / "mri/p1.nii.gz");
  EXPECT_EQ(a1.mri->dce_times_s, (std::vector<double>{0, 60}));
  ASSERT_TRUE(a1.mammography);
  EXPECT_EQ(a1.mammography->laterality, "L");
  EXPECT_EQ(a1.mammography->views.at(0).box->height, 40);
  EXPECT_FALSE(a1.ultrasound);
  EXPECT_EQ(a1.clinical.er_positive, true);
  EXPECT_EQ(a1.clinical.ki67_percent, 15);
  EXPECT_EQ(a1.clinical.tumour_size_mm, 25);
  EXPECT_EQ(a1.clinical.grade, 2);
  EXPECT_FALSE(a1.clinical.pr_positive);  // missing stays missing, never a zero
  EXPECT_EQ(r.cohort.cases[1].clinical.grade, 3);
  EXPECT_EQ(r.cohort.cases[1].ultrasound->frames.size(), 2u);
  EXPECT_FALSE(r.cohort.cases[2].label.her2);  // IHC 2+ without ISH: indeterminate
}

TEST_F(ManifestTest, NamesLineAndColumnOfEveryBadCellAndDuplicateIds) {
  auto manifest = write("manifest.csv",
                        "case_id,ihc,ish,ki67\n"
                        "B1,4+,,10\n"
                        "B2,1+,maybe,10\n"
                        "B3,0,,lots\n"
                        "B1,0,,10\n");
  auto r = read_cohort(manifest);
  EXPECT_TRUE(has_problem(r, "manifest.csv line 2, column ihc [case B1]: IHC score '4+'")) << r.problems.size();
  EXPECT_TRUE(has_problem(r, "line 3, column ish [case B2]: ISH result 'maybe'"));
  EXPECT_TRUE(has_problem(r, "line 4, column ki67 [case B3]"));
  EXPECT_TRUE(has_problem(r, "line 5, column case_id [case B1]: duplicate case_id 'B1'"));
  EXPECT_EQ(r.problems.size(), 4u);
}

TEST_F(ManifestTest, RejectsUnknownColumnsAndMissingMasks) {
  auto r = read_cohort(write("manifest.csv", "case_id,ihc,mri_dec\nC1,0,x\n"));
  EXPECT_TRUE(has_problem(r, "unknown column 'mri_dec'"));
  r = read_cohort(write("manifest.csv", "case_id,ihc,mri_dce\nC1,0,a.nii.gz;b.nii.gz\n"));
  EXPECT_TRUE(has_problem(r, "mri_mask is empty"));
  r = read_cohort(write("manifest.csv", "case_id,ihc,us_frames\nC1,0,a.png\n"));
  EXPECT_TRUE(has_problem(r, "us_masks is empty"));
}

TEST_F(ManifestTest, ClinicalRowsForUnknownCasesAreProblems) {
  auto manifest = write("manifest.csv", "case_id,ihc\nD1,0\n");
  write("clinical.csv", "case_id,age\nD1,40\nD9,50\nD1,41\n");
  auto r = read_cohort(manifest);
  EXPECT_TRUE(has_problem(r, "case_id 'D9' is not in the manifest"));
  EXPECT_TRUE(has_problem(r, "duplicate case_id 'D1' in the clinical table"));
}

TEST_F(ManifestTest, WritesAndReadsBackTheSameCohort) {
  auto manifest =
      write("manifest.csv",
            "case_id,patient_id,site,ihc,ish,mri_dce,mri_dce_times,mri_dwi,mri_dwi_b,mri_mask,mg_cc,mg_cc_mask,mg_mlo,"
            "mg_mlo_box,us_frames,us_masks,er_percent,grade\n"
            "E1,P1,S,2+,amplified,a/0.nii.gz;a/"
            "1.nii.gz,0;65.5,d0.nii.gz;d1.nii.gz,0;800,m.nii.gz,cc.png,ccm.png,mlo.dcm,1;2;3;4,u.dcm,um.png,0.5,1\n"
            "E2,P2,S,1+,,,,,,,,,,,,,,\n");
  auto first = read_cohort(manifest);
  ASSERT_TRUE(first.problems.empty()) << to_string(first.problems.front());
  write_cohort(first.cohort, dir_ / "copy" / "manifest.csv", dir_ / "copy" / "clinical.csv");
  auto second = read_cohort(dir_ / "copy" / "manifest.csv");
  ASSERT_TRUE(second.problems.empty()) << to_string(second.problems.front());
  ASSERT_EQ(second.cohort.cases.size(), 2u);
  const Case& a = first.cohort.cases[0];
  const Case& b = second.cohort.cases[0];
  EXPECT_EQ(b.label.her2, Her2Class::kPositive);
  EXPECT_EQ(a.mri->dce_times_s, b.mri->dce_times_s);
  EXPECT_EQ(a.mri->dwi_b_values, b.mri->dwi_b_values);
  EXPECT_EQ(b.mri->dce[1], dir_ / "a/1.nii.gz") << "paths are written relative to the new manifest";
  EXPECT_EQ(fs::weakly_canonical(b.mri->dce[1]), fs::weakly_canonical(a.mri->dce[1]));
  EXPECT_EQ(b.mammography->views.size(), 2u);
  EXPECT_EQ(b.mammography->views[1].box->width, 3);
  EXPECT_EQ(b.clinical.er_percent, 0.5);
  EXPECT_EQ(b.clinical.er_positive, false);  // 0.5% < 1%: negative per ASCO/CAP
  EXPECT_EQ(b.clinical.grade, 1);
  EXPECT_FALSE(second.cohort.cases[1].mri);
}

// A manifest read by a relative path and written under an absolute folder (predict's
// DIR/case/manifest.csv) keeps every path.
TEST_F(ManifestTest, ARelativeManifestWrittenUnderAnAbsoluteFolderKeepsItsPaths) {
  write("manifest.csv", "case_id,ihc,mri_dce,mri_dce_times,mri_mask\nR1,0,a/0.nii.gz;a/1.nii.gz,0;60,m.nii.gz\n");
  const auto previous = fs::current_path();
  fs::current_path(dir_.parent_path());
  const auto first = read_cohort(dir_.filename() / "manifest.csv");
  write_cohort(first.cohort, dir_ / "out" / "case" / "manifest.csv", std::nullopt);
  fs::current_path(previous);
  const auto second = read_cohort(dir_ / "out" / "case" / "manifest.csv", std::nullopt, false);
  ASSERT_TRUE(second.problems.empty()) << to_string(second.problems.front());
  EXPECT_EQ(fs::weakly_canonical(second.cohort.cases[0].mri->mask), fs::weakly_canonical(dir_ / "m.nii.gz"));
  EXPECT_EQ(fs::weakly_canonical(second.cohort.cases[0].mri->dce[1]), fs::weakly_canonical(dir_ / "a/1.nii.gz"));
}

// Case ids name output folders: ones that could write outside them are refused, naming the line.
TEST_F(ManifestTest, CaseIdsThatCouldEscapeTheOutputFolderAreRefused) {
  auto r = read_cohort(write("manifest.csv", "case_id,ihc\n../../x,0\n/tmp/abs,1+\n.hidden,0\nok-1 B_2.3,0\n"));
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_TRUE(has_problem(r, "manifest.csv line 2, column case_id: case_id '../../x' starts with a dot"));
  EXPECT_TRUE(has_problem(r, "line 3, column case_id: case_id '/tmp/abs' holds the character '/'"));
  EXPECT_TRUE(has_problem(r, "line 4, column case_id: case_id '.hidden' starts with a dot"));
  ASSERT_EQ(r.cohort.cases.size(), 1u);
  EXPECT_EQ(r.cohort.cases[0].case_id, "ok-1 B_2.3");
}

}  // namespace
}  // namespace vbiopsy::datasets
