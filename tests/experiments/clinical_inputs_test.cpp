// Every clinical variable a user gives reaches the models (statuses, categories one-hot, columns a
// config names), the names of [columns] clinical are checked against the input's own names, and
// every input that can change a result is part of the run's fingerprint.
#include "experiments/feature_table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "core/warnings.h"
#include "experiments/config.h"
#include "experiments/runner.h"
#include "small_cohort.h"

namespace vbiopsy::experiments {
namespace {

// A clinical table as hospitals keep it: status without percentage, a numeric and a categorical
// column of their own, and the label itself under another name.
void write_clinical(const SmallCohort& cohort, int cases) {
  std::string text = "case_id,ER,PR,HR,tnm_t,her2pos\n";
  for (int i = 0; i < cases; ++i)
    text += "C" + std::to_string(1000 + i) + "," + (i % 2 ? "pos" : "neg") + "," + (i % 3 ? "positive" : "negative") +
            "," + std::to_string(i % 2) + "," +
            (i % 4 == 0 ? ""
             : i % 3    ? "T2"
                        : "T1") +
            "," + std::to_string(i % 3 == 2) + "\n";
  core::write_file_atomic(cohort.dir / "clinical.csv", text);
}

TEST(ClinicalInputs, StatusesCategoriesAndNamedTableColumnsReachTheBlock) {
  SmallCohort cohort("clinical_block", 12, 3);
  write_clinical(cohort, 12);
  const auto reading = datasets::read_cohort(cohort.dir / "manifest.csv");
  ASSERT_TRUE(reading.problems.empty()) << datasets::to_string(reading.problems.front());
  const auto features = core::read_csv(cohort.dir / "features.csv");

  const auto all = build_feature_table(reading.cohort, features, {"clinical"});
  const auto& block = all.block("clinical");
  auto column = [&](const FeatureBlock& b, const std::string& name) {
    const auto it = std::find(b.columns.begin(), b.columns.end(), name);
    EXPECT_NE(it, b.columns.end()) << name;
    return static_cast<Eigen::Index>(it - b.columns.begin());
  };
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(block.values(i, column(block, "er_status")), i % 2) << "ER given only as a status reaches the models";
    EXPECT_EQ(block.values(i, column(block, "pr_status")), i % 3 ? 1 : 0);
    EXPECT_TRUE(std::isnan(block.values(i, column(block, "er_percent"))));
  }
  column(block, "age");
  column(block, "histology=lobular");

  const std::map<std::string, std::vector<std::string>> named = {{"clinical", {"er", "age", "HR", "tnm_t"}}};
  const auto chosen = build_feature_table(reading.cohort, features, {"clinical"}, named);
  const auto& b = chosen.block("clinical");
  EXPECT_EQ(b.columns, (std::vector<std::string>{"er_percent", "er_status", "age", "hr", "tnm_t=t1", "tnm_t=t2"}));
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(b.values(i, 3), i % 2);
    if (i % 4 == 0)
      EXPECT_TRUE(std::isnan(b.values(i, 4)) && std::isnan(b.values(i, 5))) << "a missing category stays missing";
    else
      EXPECT_EQ(b.values(i, 5), i % 3 ? 1 : 0);
  }

  std::string message = error_of([&] {
    build_feature_table(reading.cohort, features, {"clinical"}, {{"clinical", {"her2pos"}}});
  });
  EXPECT_NE(message.find("carries the HER2 label itself"), std::string::npos) << message;
  message = error_of([&] {
    build_feature_table(reading.cohort, features, {"clinical"}, {{"clinical", {"age_years"}}});
  });
  EXPECT_NE(message.find(
                "'age_years', which matches no clinical variable; known: er_percent, pr_percent, er_status, pr_status, "
                "ki67_percent, age,"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("other columns of the clinical table: hr, tnm_t"), std::string::npos) << message;
}

// A new case is given the training cohort's columns; a category training never saw is named.
TEST(ClinicalInputs, ANewCaseGetsTheTrainingColumnsAndAnUnseenCategoryIsNamed) {
  SmallCohort cohort("clinical_spec", 12, 4);
  write_clinical(cohort, 12);
  const auto reading = datasets::read_cohort(cohort.dir / "manifest.csv");
  const auto features = core::read_csv(cohort.dir / "features.csv");
  const std::map<std::string, std::vector<std::string>> named = {{"clinical", {"tnm_t"}}};
  const auto training = build_feature_table(reading.cohort, features, {"clinical"}, named);
  const auto spec = clinical_spec_from_json(to_json(training.clinical));

  datasets::Cohort one = reading.cohort;
  one.cases = {reading.cohort.cases[1]};
  one.cases[0].clinical.extra["tnm_t"] = "T4";
  core::WarningCollector warnings;
  const auto table = build_feature_table(one, features, {"clinical"}, named, false, {}, &spec);
  EXPECT_EQ(table.block("clinical").columns, (std::vector<std::string>{"tnm_t=t1", "tnm_t=t2"}));
  EXPECT_EQ(table.block("clinical").values(0, 0), 0);
  EXPECT_EQ(table.block("clinical").values(0, 1), 0);
  ASSERT_EQ(warnings.messages().size(), 1u);
  EXPECT_NE(warnings.messages()[0].find("clinical tnm_t has a category the training cohort did not have"),
            std::string::npos);
}

// The negative control and the clinical table beside the manifest change results: a run folder
// holding a run without them is not reused for them.
TEST(ClinicalInputs, PermutedLabelsAndAReplacedClinicalTableAreNotServedFromAFinishedRun) {
  SmallCohort cohort("fingerprint", 30, 5);
  write_clinical(cohort, 30);
  const auto config = read_experiment_config(
      cohort.config("modalities = clinical,mri\nsubsets = clinical+mri\nfusion = early\nexport = none"));
  std::ostringstream log;
  const auto run = cohort.dir / "run";
  run_experiment(config, run, log);
  const auto record = core::read_text_file(run / "run.json");
  EXPECT_NE(record.find((cohort.dir / "clinical.csv").string()), std::string::npos)
      << "the clinical table found beside the manifest is recorded";
  EXPECT_EQ(run_experiment(config, run, log).cells_reused, 1u);

  auto permuted = config;
  permuted.permute_labels = true;  // as --permute-labels sets it
  EXPECT_NE(error_of([&] { run_experiment(permuted, run, log); }).find("holds a run of another config or other inputs"),
            std::string::npos);

  write_clinical(cohort, 29);  // one case's clinical values gone
  EXPECT_NE(error_of([&] { run_experiment(config, run, log); }).find("holds a run of another config or other inputs"),
            std::string::npos);
}

// A feature cell that is not a number is an error naming it, never a silent missing value.
TEST(FeatureTable, ACellThatIsNotANumberIsNamed) {
  SmallCohort cohort("bad_cell", 6, 7);
  const auto reading = datasets::read_cohort(cohort.dir / "manifest.csv");
  auto features = core::read_csv(cohort.dir / "features.csv");
  const auto column = *features.column("mri_signal");
  for (auto& row : features.rows)
    if (!row[column].empty()) {
      row[column] = "12,5 mm";
      break;
    }
  const std::string message = error_of([&] { build_feature_table(reading.cohort, features, {"mri"}); });
  EXPECT_NE(message.find("column mri_signal: '12,5 mm' is not a number"), std::string::npos) << message;
}

// Two runs into one folder: the second is refused, naming the first, instead of both doing all the
// work and leaving stale files in cells/.
TEST(RunFolder, ASecondRunIntoAFolderInUseIsRefusedNamingTheFirst) {
  SmallCohort cohort("locked", 12, 6);
  const auto config =
      read_experiment_config(cohort.config("modalities = mri\nsubsets = mri\nfusion = early\nexport = none"));
  std::ostringstream log;
  const core::FolderLock first(cohort.dir / "run", "vbiopsy run");
  EXPECT_NE(error_of([&] {
              run_experiment(config, cohort.dir / "run", log);
            }).find("is in use by another vbiopsy (vbiopsy run, pid"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(cohort.dir / "run" / "cells"));
}

}  // namespace
}  // namespace vbiopsy::experiments
