#include "modalities/synthetic_cohort.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "modalities/case_loader.h"
#include "modalities/cohort_check.h"
#include "modalities/image_io.h"

namespace vbiopsy::modalities {
namespace {
namespace fs = std::filesystem;

// Unique per test and process: ctest runs tests in parallel, and CI may run beside a developer.
fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() /
                 ("vbiopsy_cohort_" + name + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                  "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

SynthWriteOptions small_cohort(uint64_t seed, MriFormat format, unsigned threads) {
  SynthWriteOptions o;
  o.synth.cases = 6;
  o.synth.seed = seed;
  o.synth.missing_mri = o.synth.missing_mg = o.synth.missing_us = 0.2;
  o.mri_format = format;
  o.threads = threads;
  return o;
}

std::map<std::string, std::string> all_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = core::read_text_file(e.path());
  return files;
}

std::string problems_text(const std::vector<datasets::Problem>& problems) {
  std::string text;
  for (auto& p : problems) text += datasets::to_string(p) + "\n";
  return text;
}

std::vector<datasets::Problem> validate(const fs::path& manifest) {
  auto reading = datasets::read_cohort(manifest);
  auto problems = reading.problems;
  for (const auto& check : check_cases(reading.cohort, 2))
    problems.insert(problems.end(), check.problems.begin(), check.problems.end());
  return problems;
}

TEST(SyntheticCohort, SameSeedGivesTheSameBytesWhateverTheThreadCount) {
  for (uint64_t seed : {3ull, 4ull}) {
    const fs::path a = temp_dir("bytes_a"), b = temp_dir("bytes_b");
    write_synthetic_cohort(small_cohort(seed, MriFormat::kDicom, 1), a);
    write_synthetic_cohort(small_cohort(seed, MriFormat::kDicom, 2), b);
    auto files_a = all_files(a), files_b = all_files(b);
    EXPECT_GT(files_a.size(), 20u);
    EXPECT_TRUE(files_a == files_b) << "seed " << seed;
    fs::remove_all(a);
    fs::remove_all(b);
  }
}

TEST(SyntheticCohort, LoadsBackAndValidatesInBothMriFormats) {
  for (MriFormat format : {MriFormat::kNifti, MriFormat::kDicom}) {
    const fs::path dir = temp_dir("loads");
    write_synthetic_cohort(small_cohort(8, format, 2), dir);
    auto problems = validate(dir / "manifest.csv");
    EXPECT_TRUE(problems.empty()) << problems_text(problems);
    auto reading = datasets::read_cohort(dir / "manifest.csv");
    auto truth = core::read_csv(dir / "truth" / "truth.csv");
    ASSERT_EQ(truth.rows.size(), reading.cohort.cases.size());
    for (size_t i = 0; i < truth.rows.size(); ++i) {
      const auto& c = reading.cohort.cases[i];
      EXPECT_EQ(truth.rows[i][0], c.case_id);
      if (c.label.her2) {
        EXPECT_EQ(truth.rows[i][1], datasets::to_string(*c.label.her2));
      }
      EXPECT_EQ(truth.rows[i][7] == "1", c.mri.has_value());
      if (c.mri) {
        LoadedMri mri = load_mri(*c.mri);
        EXPECT_GE(mri.dce.size(), 6u);
        EXPECT_EQ(mri.dce_times_s.front(), 0.0);
        EXPECT_GT(mri.dce_times_s[1], 50.0);
        if (format == MriFormat::kDicom) {  // the acquisition parameters travel in the DICOM
          EXPECT_EQ(mri.repetition_time_s, 0.0045);
          EXPECT_EQ(mri.flip_angle_deg, 12.0);
        } else {
          EXPECT_FALSE(mri.repetition_time_s);
        }
        core::Mask planted = read_mask(dir / "truth" / c.case_id / "habitats.nii.gz");
        EXPECT_EQ(core::describe_grid_mismatch(planted.geometry, mri.mask.geometry), "");
      }
      if (c.mammography) {
        auto views = load_mammography(*c.mammography);
        ASSERT_EQ(views.size(), 2u);
        EXPECT_FALSE(views[0].laterality.empty());
      }
    }
    fs::remove_all(dir);
  }
}

class PlantedErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("planted");
    SynthWriteOptions o = small_cohort(21, MriFormat::kNifti, 2);
    o.synth.missing_mri = o.synth.missing_mg = o.synth.missing_us = 0;
    write_synthetic_cohort(o, dir_);
    manifest_ = core::read_text_file(dir_ / "manifest.csv");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void replace_in_manifest(const std::string& from, const std::string& to) {
    auto at = manifest_.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    manifest_.replace(at, from.size(), to);
    core::write_file_atomic(dir_ / "manifest.csv", manifest_);
  }
  std::string problems() { return problems_text(validate(dir_ / "manifest.csv")); }
  fs::path dir_;
  std::string manifest_;
};

TEST_F(PlantedErrors, MissingFileIsNamed) {
  fs::remove(dir_ / "cases/SYN0002/mri/t2.nii.gz");
  EXPECT_NE(problems().find("[case SYN0002]: " + (dir_ / "cases/SYN0002/mri/t2.nii.gz").string() + ": file not found"),
            std::string::npos)
      << problems();
}

TEST_F(PlantedErrors, MaskOnAnotherGridIsNamedWithBothFiles) {
  core::Mask mask = read_mask(dir_ / "cases/SYN0003/mri/mask.nii.gz");
  mask.geometry.spacing[2] *= 2;
  write_mask(mask, dir_ / "cases/SYN0003/mri/mask.nii.gz");
  const std::string text = problems();
  EXPECT_NE(text.find("[case SYN0003]: mask " + (dir_ / "cases/SYN0003/mri/mask.nii.gz").string() +
                      " does not match the grid of image " + (dir_ / "cases/SYN0003/mri/dce_0.nii.gz").string() +
                      ": spacing[2]"),
            std::string::npos)
      << text;
}

TEST_F(PlantedErrors, EmptyMaskIsNamed) {
  core::Mask mask = read_mask(dir_ / "cases/SYN0004/us/mask_1.png");
  std::fill(mask.voxels.begin(), mask.voxels.end(), 0);
  write_mask(mask, dir_ / "cases/SYN0004/us/mask_1.png");
  EXPECT_NE(problems().find("[case SYN0004]: mask " + (dir_ / "cases/SYN0004/us/mask_1.png").string() + " is empty"),
            std::string::npos)
      << problems();
}

TEST_F(PlantedErrors, BadLabelSpellingIsNamedByLineAndColumn) {
  const auto line_start = manifest_.find("SYN0005,P0005,");
  const auto ihc_start = manifest_.find(',', manifest_.find(',', manifest_.find(',', line_start) + 1) + 1) + 1;
  const auto ihc_end = manifest_.find(',', ihc_start);
  manifest_.replace(ihc_start, ihc_end - ihc_start, "weak");
  core::write_file_atomic(dir_ / "manifest.csv", manifest_);
  EXPECT_NE(problems().find("manifest.csv line 6, column ihc [case SYN0005]: IHC score 'weak'"), std::string::npos)
      << problems();
}

TEST_F(PlantedErrors, DuplicateCaseIdIsNamed) {
  replace_in_manifest("SYN0006,P0006", "SYN0001,P0006");
  EXPECT_NE(problems().find("manifest.csv line 7, column case_id [case SYN0001]: duplicate case_id 'SYN0001'"),
            std::string::npos)
      << problems();
}

TEST_F(PlantedErrors, ValidateCommandListsEveryProblemAndExitsTwo) {
  fs::remove(dir_ / "cases/SYN0002/mri/t2.nii.gz");
  replace_in_manifest("SYN0006,P0006", "SYN0001,P0006");
  const std::string command = std::string(VBIOPSY_BIN_DIR) + "/vbiopsy validate --manifest " +
                              (dir_ / "manifest.csv").string() + " > " + (dir_ / "out.txt").string();
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string out = core::read_text_file(dir_ / "out.txt");
  // The renamed row also leaves SYN0006's clinical row without a case: three problems in all.
  EXPECT_NE(out.find("3 problem(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("case_id 'SYN0006' is not in the manifest"), std::string::npos) << out;
  EXPECT_NE(out.find("file not found"), std::string::npos) << out;
  EXPECT_NE(out.find("duplicate case_id"), std::string::npos) << out;
}

// The preflight as a user runs it: what `extract` with these settings would fail on, every problem
// at once, then the clinical summary; extract with the same settings refuses the same cases.
TEST_F(PlantedErrors, ValidateWithExtractionSettingsIsThePreflightOfExtract) {
  // SYN0003 keeps two DCE phases (and their two times).
  auto table = core::read_csv(dir_ / "manifest.csv");
  std::string text = core::csv_line(table.header);
  for (auto& row : table.rows) {
    if (row[0] == "SYN0003")
      for (const char* column : {"mri_dce", "mri_dce_times"}) {
        auto& cell = row[*table.column(column)];
        cell = cell.substr(0, cell.find(';', cell.find(';') + 1));
      }
    text += core::csv_line(row);
  }
  core::write_file_atomic(dir_ / "manifest.csv", text);
  core::write_file_atomic(dir_ / "settings.ini", "[setting]\nlabel = 2\n[mri]\nkinetics = true\n");
  auto run = [&](const std::string& arguments, const fs::path& out) {
    const int status =
        std::system((std::string(VBIOPSY_BIN_DIR) + "/vbiopsy " + arguments + " > " + out.string() + " 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  const std::string manifest = (dir_ / "manifest.csv").string();
  EXPECT_EQ(run("validate --manifest " + manifest, dir_ / "plain.txt"), 0) << core::read_text_file(dir_ / "plain.txt");
  EXPECT_EQ(
      run("validate --manifest " + manifest + " --config " + (dir_ / "settings.ini").string(), dir_ / "preflight.txt"),
      2);
  const std::string out = core::read_text_file(dir_ / "preflight.txt");
  // Every problem of a study in one look: SYN0003's mask label and its two phases, on its line.
  const auto line = out.substr(out.find("MRI [case SYN0003]: "),
                               out.find('\n', out.find("MRI [case SYN0003]: ")) - out.find("MRI [case SYN0003]: "));
  EXPECT_NE(line.find((dir_ / "cases/SYN0003/mri/dce_0.nii.gz").string() +
                      ": 2 DCE phases, but [mri] kinetics needs a pre-contrast and at least two post-contrast phases"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("label 2 (setting.label) does not occur"), std::string::npos) << line;
  EXPECT_NE(out.find("mask.nii.gz: label 2 (setting.label) does not occur in the mask, which holds the values 0, 1"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("clinical variables (given / missing: values):\n  er_percent: "), std::string::npos) << out;
  EXPECT_EQ(run("extract --manifest " + manifest + " --config " + (dir_ / "settings.ini").string() + " --out " +
                    (dir_ / "features").string(),
                dir_ / "extract.txt"),
            1);
  EXPECT_NE(core::read_text_file(dir_ / "extract.txt").find("2 DCE phases, but [mri] kinetics needs"),
            std::string::npos);
}

TEST_F(PlantedErrors, LaterCommandsRefuseOrSkipAndNameTheBadCases) {
  fs::remove(dir_ / "cases/SYN0002/mri/t2.nii.gz");
  EXPECT_THROW(load_checked_cohort(dir_ / "manifest.csv", std::nullopt, false, 2), core::Error);
  auto checked = load_checked_cohort(dir_ / "manifest.csv", std::nullopt, true, 2);
  EXPECT_EQ(checked.cohort.cases.size(), 5u);
  ASSERT_EQ(checked.excluded.size(), 1u);
  EXPECT_EQ(checked.excluded[0].case_id, "SYN0002");
}

}  // namespace
}  // namespace vbiopsy::modalities
