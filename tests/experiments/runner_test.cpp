#include "experiments/runner.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/random.h"
#include "datasets/manifest.h"
#include "experiments/config.h"
#include "experiments/feature_table.h"
#include "experiments/explanations.h"
#include "experiments/fitted_model.h"
#include "experiments/preprocessing.h"
#include "experiments/reproduce.h"
#include "fusion/bundle.h"
#include "fusion/model.h"
#include "small_cohort.h"

namespace vbiopsy::experiments {
namespace {

namespace fs = std::filesystem;

double macro_auc(const fs::path& run, const std::string& model) {
  const auto metrics = nlohmann::json::parse(core::read_text_file(run / "metrics.json"));
  return metrics.at(model).at("metrics").at("macro_auc").at("estimate").get<double>();
}

TEST(Runner, WritesEveryFileByteIdenticallyAndResumesFinishedCells) {
  SmallCohort cohort("files", 60, 1);
  const auto config =
      read_experiment_config(cohort.config("subsets = mri;mri+us\nfusion = early,gated\nmodalities = mri,us"));
  std::ostringstream log;
  const auto run = cohort.dir / "run";
  const auto summary = run_experiment(config, run, log);
  EXPECT_EQ(summary.cells, 4u);
  EXPECT_EQ(summary.cases, 60u);
  for (const char* file :
       {"predictions.csv", "metrics.json", "comparisons.csv", "shapley.csv", "run.json", "report.html"})
    EXPECT_TRUE(fs::exists(run / file)) << file;
  // The report stands alone: inline SVG plots (the ablation's forest plot, 3 ROC, calibration, 2
  // decision curves, the modality weights of the two gated models, the exported model's feature
  // importances; Shapley charts only when the grid holds every subset, which this one does not, and
  // then no Shapley section at all), no script, no external resource.
  const auto report = core::read_text_file(run / "report.html");
  size_t charts = 0;
  for (size_t at = report.find("<svg"); at != std::string::npos; at = report.find("<svg", at + 1)) ++charts;
  EXPECT_EQ(charts, 10u);
  EXPECT_EQ(report.find("Modality Shapley values"), std::string::npos);
  EXPECT_EQ(report.find("SYNTHETIC DATA"), std::string::npos);  // made up here, but not by `vbiopsy synth`
  // A contents list links every section; the ablation table has a row per subset, a column per method.
  EXPECT_NE(report.find("<nav><b>Contents</b><ol><li><a href=\"#s1\">Summary (95% bootstrap CIs)</a></li>"),
            std::string::npos);
  EXPECT_NE(report.find("<h2 id=\"s2\">Ablation: macro-AUC by modality subset and method (95% CI)</h2>"),
            std::string::npos);
  EXPECT_NE(report.find("<tr><th>modalities</th><th>early</th><th>gated</th></tr><tr><th>mri</th>"), std::string::npos);
  EXPECT_NE(report.find("<tr><th>mri+us</th>"), std::string::npos);
  EXPECT_NE(report.find("What the exported models look at"), std::string::npos);
  // Gated fusion's per-case gates are exported: one row per case and modality, zero when absent.
  const auto attention = core::read_csv(run / "attention.csv");
  EXPECT_EQ(attention.rows.size(), 60u * (1 + 2));
  EXPECT_EQ(report.find("<script"), std::string::npos);
  EXPECT_EQ(report.find("src=\"http"), std::string::npos);
  EXPECT_NE(report.find("TRIPOD"), std::string::npos);
  const auto predictions = core::read_text_file(run / "predictions.csv");
  const auto metrics = core::read_text_file(run / "metrics.json");
  EXPECT_EQ(std::count(predictions.begin(), predictions.end(), '\n'), 1 + 4 * 60);
  // The best model is exported for `vbiopsy predict` (export = best by default).
  std::vector<fs::path> bundles;
  for (const auto& entry : fs::directory_iterator(run / "models")) bundles.push_back(entry.path());
  ASSERT_EQ(bundles.size(), 1u);
  const auto bundle = core::read_text_file(bundles[0] / "bundle.json");
  EXPECT_NE(bundle.find(summary.best_model), std::string::npos);
  const auto importances = read_importances_csv(bundles[0] / "importances.csv");
  EXPECT_FALSE(importances.features.empty());
  EXPECT_NE(importances.method.find("sampled feature orders"), std::string::npos) << importances.method;

  // An interrupted run: one cell and the summaries lost. The rerun redoes only that cell.
  fs::remove(run / "predictions.csv");
  fs::remove(run / "cells" / "early_mri.csv");
  const auto resumed = run_experiment(config, run, log);
  EXPECT_EQ(resumed.cells_reused, 3u);
  EXPECT_EQ(core::read_text_file(run / "predictions.csv"), predictions);
  EXPECT_EQ(core::read_text_file(run / "metrics.json"), metrics);

  // Interrupted inside a model: fold 0 of early[mri] done, folds 1 and 2 not. Only those two rerun.
  const auto cell = core::read_csv(run / "cells" / "early_mri.csv");
  std::string fold0 = core::csv_line(cell.header);
  for (const auto& row : cell.rows)
    if (row[2] == "0") fold0 += core::csv_line(row);
  fs::remove(run / "cells" / "early_mri.csv");
  core::write_file_atomic(run / "cells" / "early_mri" / "repeat0_fold0.csv", fold0);
  std::ostringstream fold_log;
  run_experiment(config, run, fold_log);
  EXPECT_NE(fold_log.str().find("[2/2] early[mri], repeat 0 fold 2"), std::string::npos) << fold_log.str();
  EXPECT_EQ(fold_log.str().find("fold 0"), std::string::npos) << fold_log.str();
  EXPECT_EQ(core::read_text_file(run / "predictions.csv"), predictions);
  EXPECT_FALSE(fs::exists(run / "cells" / "early_mri"));  // joined into early_mri.csv

  // `vbiopsy reproduce` reruns from run.json and finds no difference; a changed input is reported.
  EXPECT_TRUE(reproduce_run(run, cohort.dir / "reproduced", log).empty());
  EXPECT_THROW(reproduce_run(run, cohort.dir / "reproduced", log), core::Error);  // will not overwrite

  // A fresh directory gives the same bytes; another config is refused in the old one.
  run_experiment(config, cohort.dir / "again", log);
  EXPECT_EQ(core::read_text_file(cohort.dir / "again" / "predictions.csv"), predictions);
  EXPECT_EQ(core::read_text_file(cohort.dir / "again" / "models" / bundles[0].filename() / "bundle.json"), bundle);
  EXPECT_EQ(core::read_text_file(cohort.dir / "again" / "models" / bundles[0].filename() / "network.pt"),
            core::read_text_file(bundles[0] / "network.pt"));
  // Worker processes give the same bytes: each fold is trained single-threaded from its own seed.
  const auto parallel = read_experiment_config(
      cohort.config("subsets = mri;mri+us\nfusion = early,gated\nmodalities = mri,us\nthreads = 3"));
  std::ostringstream parallel_log;
  EXPECT_EQ(run_experiment(parallel, cohort.dir / "parallel", parallel_log).cells, 4u);
  EXPECT_EQ(core::read_text_file(cohort.dir / "parallel" / "predictions.csv"), predictions);
  EXPECT_EQ(core::read_text_file(cohort.dir / "parallel" / "metrics.json"), metrics);
  EXPECT_NE(parallel_log.str().find("[12/12] "), std::string::npos) << parallel_log.str();  // 4 cells x 3 folds
  auto other = config;
  other.text += "\n# changed\n";
  EXPECT_THROW(run_experiment(other, run, log), core::Error);

  auto manifest = core::read_text_file(cohort.dir / "manifest.csv");
  core::write_file_atomic(cohort.dir / "manifest.csv", manifest + "\n");
  const auto differences = reproduce_run(run, cohort.dir / "reproduced2", log);
  ASSERT_FALSE(differences.empty());
  EXPECT_NE(differences.front().find("manifest"), std::string::npos) << differences.front();
}

// A reviewer gets a run and its inputs in other folders than the author's: reproduce finds them
// beside the run when they moved together, and under --map OLD=NEW when they moved apart.
TEST(Reproduce, FindsMovedInputsBesideTheRunOrUnderAMap) {
  SmallCohort cohort("moved", 45, 3);
  const auto config = read_experiment_config(cohort.config("subsets = mri\nfusion = early\nmodalities = mri"));
  std::ostringstream log;
  run_experiment(config, cohort.dir / "run", log);
  const auto moved = fs::path(cohort.dir.string() + "_moved");
  fs::remove_all(moved);
  fs::rename(cohort.dir, moved);  // the whole folder: run and inputs together
  EXPECT_TRUE(reproduce_run(moved / "run", moved / "beside", log).empty());

  // Inputs and run apart: the recorded and relative paths both miss, and the error says what to do.
  const auto inputs = fs::path(cohort.dir.string() + "_inputs");
  fs::remove_all(inputs);
  fs::create_directories(inputs);
  for (const char* file : {"manifest.csv", "features.csv"}) fs::rename(moved / file, inputs / file);
  const auto missing = error_of([&] { reproduce_run(moved / "run", moved / "nowhere", log); });
  EXPECT_NE(missing.find("manifest " + (cohort.dir / "manifest.csv").string() + " is gone"), std::string::npos)
      << missing;
  EXPECT_NE(missing.find("give --map OLD_FOLDER=NEW_FOLDER"), std::string::npos) << missing;
  EXPECT_FALSE(fs::exists(moved / "nowhere"));
  const auto wrong = error_of([&] {
    reproduce_run(moved / "run", moved / "wrong", log, {parse_path_map(cohort.dir.string() + "=/no/such/folder")});
  });
  EXPECT_NE(wrong.find("to /no/such/folder/manifest.csv, which does not exist"), std::string::npos) << wrong;
  EXPECT_TRUE(reproduce_run(moved / "run", moved / "mapped", log,
                            {parse_path_map(cohort.dir.string() + "/=" + inputs.string())})
                  .empty());
  EXPECT_EQ(core::read_text_file(moved / "mapped" / "predictions.csv"),
            core::read_text_file(moved / "run" / "predictions.csv"));
  EXPECT_NE(error_of([] { parse_path_map("no-equals-sign"); }).find("expected OLD_FOLDER=NEW_FOLDER"),
            std::string::npos);
  fs::remove_all(moved);
  fs::remove_all(inputs);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Report, RendersInHeadlessChromiumWithEveryPlotAndNoError) {
  // Skipped, and saying so, only on a machine without Debian's chromium; tools/setup.sh (and so CI)
  // installs it.
  if (!fs::exists("/usr/bin/chromium"))
    GTEST_SKIP() << "Debian's chromium is not installed (tools/setup.sh installs it)";
  SmallCohort cohort("report", 45, 6);
  const auto config = read_experiment_config(cohort.config("modalities = mri,us\nsubsets = all\nfusion = early"));
  std::ostringstream log;
  const auto run = cohort.dir / "run";
  run_experiment(config, run, log);
  const auto dom = cohort.dir / "dom.html", console = cohort.dir / "console.txt";
  const std::string command =
      "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 "
      "--user-data-dir=" +
      (cohort.dir / "profile").string() + " --dump-dom file://" + (run / "report.html").string() + " > " +
      dom.string() + " 2> " + console.string();
  ASSERT_EQ(std::system(command.c_str()), 0) << core::read_text_file(console);
  const auto rendered = core::read_text_file(dom);
  // The ablation's forest plot, 3 ROC, calibration, 2 decision curves, 1 Shapley chart (the grid
  // holds every subset), 1 chart of what the exported model looks at.
  EXPECT_EQ(count(rendered, "<svg"), 9u);
  EXPECT_GE(count(rendered, "<polyline"), 3u * 2);
  EXPECT_NE(rendered.find("TRIPOD"), std::string::npos);
  const auto messages = core::read_text_file(console);
  EXPECT_EQ(messages.find("Uncaught"), std::string::npos) << messages;
  EXPECT_EQ(messages.find("CONSOLE"), std::string::npos) << messages;
}

TEST(Runner, FusingModalitiesBeatsEachOneAndPermutedLabelsGiveChance) {
  SmallCohort cohort("controls", 150, 2);
  const auto config =
      read_experiment_config(cohort.config("modalities = mri,mg,us\nsubsets = mri;mg;us;mri+mg+us\nfusion = early"));
  std::ostringstream log;
  run_experiment(config, cohort.dir / "positive", log);
  const double fused = macro_auc(cohort.dir / "positive", "early[mg+mri+us]");
  for (const char* single : {"early[mri]", "early[mg]", "early[us]"})
    EXPECT_GT(fused, macro_auc(cohort.dir / "positive", single)) << single;

  // Negative control over three permutations: the mean macro-AUC is chance.
  double sum = 0;
  for (uint64_t seed : {1, 2, 3}) {
    auto permuted =
        read_experiment_config(cohort.config("modalities = mri,mg,us\nsubsets = mri+mg+us\nfusion = early\n"));
    permuted.permute_labels = true;
    permuted.seed = seed;
    const auto dir = cohort.dir / ("negative" + std::to_string(seed));
    run_experiment(permuted, dir, log);
    sum += macro_auc(dir, "early[mg+mri+us]");
  }
  EXPECT_NEAR(sum / 3, 0.5, 0.05);
}

TEST(Runner, ClassicalLearnersRunInTheSameGrid) {
  SmallCohort cohort("classical", 90, 7);
  const auto config = read_experiment_config(cohort.config(
      "modalities = mri,mg,us\nsubsets = mri+mg+us\nfusion = logistic,xgboost\n[fusion.xgboost]\nrounds = 50"));
  std::ostringstream log;
  run_experiment(config, cohort.dir / "run", log);
  for (const char* model : {"logistic[mg+mri+us]", "xgboost[mg+mri+us]"})
    EXPECT_GT(macro_auc(cohort.dir / "run", model), 0.7) << model;
}

TEST(Runner, ValidatesOnHeldOutSitesAndLeavesEachSiteOutOnce) {
  SmallCohort cohort("sites", 60, 8);
  std::ostringstream log;
  const auto external = read_experiment_config(cohort.config(
      "modalities = mri,us\nsubsets = mri+us\nfusion = logistic\nvalidation = test_sites\ntest_sites = SITE1"));
  run_experiment(external, cohort.dir / "external", log);
  const auto rows = core::read_csv(cohort.dir / "external" / "predictions.csv");
  ASSERT_EQ(rows.rows.size(), 30u);  // only the test site's cases are predicted
  for (const auto& row : rows.rows) EXPECT_EQ(row[1], "SITE1");

  const auto loso = read_experiment_config(
      cohort.config("modalities = mri,us\nsubsets = mri+us\nfusion = logistic\nvalidation = leave_one_site_out"));
  run_experiment(loso, cohort.dir / "loso", log);
  const auto all = core::read_csv(cohort.dir / "loso" / "predictions.csv");
  ASSERT_EQ(all.rows.size(), 60u);
  for (const auto& row : all.rows) EXPECT_EQ(row[3], row[1] == "SITE0" ? "0" : "1");  // fold = the held-out site
  EXPECT_THROW(read_experiment_config(cohort.config("validation = test_sites")), core::Error);
}

TEST(Runner, FeatureSelectionOnPureNoiseStaysAtChanceBecauseItSeesTrainingCasesOnly) {
  // 300 noise columns, keep the 8 "best": selection on all cases (a leak) would find columns that
  // happen to fit the held-out labels too and report an optimistic AUC.
  SmallCohort cohort("leak", 90, 3, 100);
  auto config = read_experiment_config(
      cohort.config("modalities = mri,mg,us\nsubsets = mri+mg+us\nfusion = early\nmax_features = 8"));
  config.permute_labels = true;
  std::ostringstream log;
  run_experiment(config, cohort.dir / "run", log);
  EXPECT_LT(macro_auc(cohort.dir / "run", "early[mg+mri+us]"), 0.62);
}

TEST(Preprocessing, LearnsOnlyFromTheTrainingCasesThatHaveTheModality) {
  FeatureBlock block{"mri", {"a", "b", "flat"}, Eigen::MatrixXd(6, 3), {true, true, true, false, true, true}, {}};
  block.values << 1, 10, 5,  //
      2, NAN, 5,             //
      3, 30, 5,              //
      100, 100, 5,           // absent: never used
      50, 50, 5,             // a test case
      60, 60, 5;             // a test case
  BlockPreprocessor p;
  p.fit(block, {0, 1, 2, 3}, {0, 1, 2, 0, 1, 2}, {0, "anova", 0, 0.02}, true);
  EXPECT_EQ(p.fitted_rows(), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(p.selected_names(), (std::vector<std::string>{"a", "b"}));  // "flat" has no variance
  const auto out = p.apply(block, {1, 3, 4});
  // b of case 1 is imputed with the training median (20) then z-scored: mean 20, sd 10 -> 0.
  EXPECT_NEAR(out(0, 1), 0.0, 1e-12);
  EXPECT_EQ(out(1, 0), 0.0);                                        // absent case: zeros
  EXPECT_NEAR(out(2, 0), std::min(10.0, (50 - 2.0) / 1.0), 1e-12);  // clipped at +10
}

TEST(Preprocessing, CorrelationFilterAndLassoKeepTheInformativeColumn) {
  // Column 0 carries the class; column 1 is a near copy of it; columns 2-9 are noise.
  core::Rng rng(12);
  const int n = 90;
  FeatureBlock block{"mri", {}, Eigen::MatrixXd(n, 10), std::vector<bool>(n, true), {}};
  std::vector<int> labels;
  for (int j = 0; j < 10; ++j) block.columns.push_back("c" + std::to_string(j));
  for (int i = 0; i < n; ++i) {
    labels.push_back(i % 3);
    block.values(i, 0) = 2.0 * (i % 3) + rng.normal();
    block.values(i, 1) = block.values(i, 0) + 0.05 * rng.normal();
    for (int j = 2; j < 10; ++j) block.values(i, j) = rng.normal();
  }
  std::vector<size_t> train(n);
  for (int i = 0; i < n; ++i) train[i] = i;
  BlockPreprocessor filtered;
  filtered.fit(block, train, labels, {0, "anova", 0.9, 0.02}, true);
  EXPECT_EQ(filtered.selected_names().size(), 9u);  // one of the near copies is gone
  BlockPreprocessor lasso;
  lasso.fit(block, train, labels, {3, "lasso", 0.9, 0.1}, true);
  ASSERT_FALSE(lasso.selected_names().empty());
  EXPECT_LE(lasso.selected_names().size(), 3u);
  const auto& names = lasso.selected_names();
  EXPECT_TRUE(std::find(names.begin(), names.end(), "c0") != names.end() ||
              std::find(names.begin(), names.end(), "c1") != names.end());
}

// Shrout & Fleiss (1979), Table 2: six targets rated by four judges; their ICC(3,1) is 0.71
// (exactly 0.71484 from their mean squares, BMS 11.24 and EMS 1.02).
TEST(Icc, MatchesShroutAndFleissWorkedExample) {
  Eigen::MatrixXd ratings(6, 4);
  ratings << 9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8, 7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7;
  EXPECT_NEAR(icc_consistency(ratings), 0.7148407148407147, 1e-12);
  // A row with a missing rating is left out; a constant table has no ICC.
  Eigen::MatrixXd with_gap(7, 4);
  with_gap << ratings, Eigen::RowVector4d(1, NAN, 3, 4);
  EXPECT_NEAR(icc_consistency(with_gap), 0.7148407148407147, 1e-12);
  EXPECT_TRUE(std::isnan(icc_consistency(Eigen::MatrixXd::Constant(5, 2, 3.0))));
}

// Over several seeds: a column whose second segmentation agrees is kept, one whose second
// segmentation is noise goes, and the test cases' retest values play no part.
TEST(Preprocessing, IccFilterKeepsReproducibleColumnsFromTrainingCasesOnly) {
  for (uint64_t seed : {3, 4, 5}) {
    core::Rng rng(seed);
    const int n = 60;
    FeatureBlock block{
        "mri", {"stable", "fragile", "also_stable"}, Eigen::MatrixXd(n, 3), std::vector<bool>(n, true), {}};
    block.retest.resize(n, 3);
    std::vector<int> labels;
    for (int i = 0; i < n; ++i) {
      labels.push_back(i % 3);
      for (int j = 0; j < 3; ++j) block.values(i, j) = (i % 3) + rng.normal();
      block.retest(i, 0) = block.values(i, 0) + 0.1 * rng.normal() + 5;  // a shift: consistency ignores it
      block.retest(i, 1) = rng.normal();
      block.retest(i, 2) = 2 * block.values(i, 2) + 0.1 * rng.normal();
    }
    std::vector<size_t> train;
    for (size_t i = 0; i < 45; ++i) train.push_back(i);
    BlockPreprocessor p;
    p.fit(block, train, labels, {0, "anova", 0, 0.02, 0.75}, true);
    EXPECT_EQ(p.selected_names(), (std::vector<std::string>{"stable", "also_stable"})) << seed;
    // The test cases' second segmentation wildly off for "stable": were they used, it would go.
    auto changed = block;
    for (int i = 45; i < n; ++i) changed.retest(i, 0) = 100 * rng.normal();
    BlockPreprocessor q;
    q.fit(changed, train, labels, {0, "anova", 0, 0.02, 0.75}, true);
    EXPECT_EQ(q.selected_names(), p.selected_names()) << seed;
  }
  FeatureBlock without{"mri", {"a"}, Eigen::MatrixXd::Zero(4, 1), std::vector<bool>(4, true), {}};
  BlockPreprocessor p;
  EXPECT_THROW(p.fit(without, {0, 1, 2, 3}, {0, 1, 2, 0}, {0, "anova", 0, 0.02, 0.75}, true), core::Error);
}

// End to end: extraction on the synthetic cohort's second reader's masks, then a run that keeps
// only the columns whose ICC between the readers reaches the threshold; the exported model's columns
// all do, on its training cases.
TEST(Runner, IccFilterUsesTheSecondReadersSegmentation) {
  const SyntheticCohortDir synthetic("icc", 24, 6);
  const auto& dir = synthetic.dir;
  core::write_file_atomic(
      dir / "extract.ini",
      "[setting]\nbinCount = 16\n[features]\nfamilies = stats, glcm\n[regions]\nretest = reader2\n");
  core::write_file_atomic(dir / "experiment.ini",
                          "[cohort]\nmanifest = cohort/manifest.csv\nextract = extract.ini\n[experiment]\nmodalities = "
                          "mri\nfusion = logistic\n"
                          "folds = 3\nbootstrap = 20\nicc = 0.9\nmax_features = 0\nexport = logistic[mri]\n");
  std::ostringstream log;
  run_experiment(read_experiment_config(dir / "experiment.ini"), dir / "run", log);
  const auto features = core::read_csv(dir / "run" / "features" / "features.csv");
  ASSERT_TRUE(features.column("retest_mri_dce1_tumour_stats_mean_intensity"));
  EXPECT_FALSE(features.column("mri_dce1_tumour_stats_mean_intensity_retest"));
  // The exported model trained on every case with a determinate label.
  std::set<std::string> excluded;
  const auto record = nlohmann::json::parse(core::read_text_file(dir / "run" / "run.json"));
  for (const auto& e : record.at("excluded")) excluded.insert(e.at("case_id").get<std::string>());
  auto icc_of = [&](const std::string& column) {
    const auto a = *features.column(column), b = *features.column("retest_" + column);
    Eigen::MatrixXd pairs(static_cast<Eigen::Index>(features.rows.size()), 2);
    for (size_t i = 0; i < features.rows.size(); ++i) {
      const auto x = core::parse_double(features.rows[i][a]), y = core::parse_double(features.rows[i][b]);
      const bool used = !excluded.count(features.rows[i][0]);
      pairs.row(static_cast<Eigen::Index>(i)) << (x && used ? *x : NAN), (y ? *y : NAN);
    }
    return icc_consistency(pairs);
  };
  const auto bundle =
      nlohmann::json::parse(core::read_text_file(dir / "run" / "models" / "logistic_mri" / "bundle.json"));
  const auto kept = bundle.at("preprocessing").at(0).at("columns").get<std::vector<std::string>>();
  ASSERT_FALSE(kept.empty());
  for (const auto& column : kept) EXPECT_GE(icc_of(column), 0.9) << column;
  size_t dropped = 0, total = 0;
  for (const auto& column : features.header)
    if (column.rfind("mri_dce1_tumour_", 0) == 0) {
      ++total;
      dropped += !(icc_of(column) >= 0.9);
    }
  EXPECT_GT(dropped, 0u);
  EXPECT_LE(kept.size(), total - dropped);
}

// Two-stage training in a grid: stage 1 (each modality's encoder with its own head) is trained once
// per fold and modality and shared by the cells; a cell fitted after others filled the cache
// predicts exactly as the same cell fitted alone, over several seeds.
TEST(TwoStage, CellsOfAFoldShareStageOneAndSharingChangesNothing) {
  const SmallCohort cohort("two_stage", 60, 41);
  auto config = read_experiment_config(cohort.config("subsets = mri;mri+clinical\nfusion = early,attention"));
  config.training["mode"] = "two_stage";
  config.training["epochs"] = "6";
  const auto reading = datasets::read_cohort(config.manifest);
  const auto table =
      build_feature_table(reading.cohort, core::read_csv(config.features), config.modalities, config.column_prefixes);
  std::vector<size_t> train, test;
  for (size_t i = 0; i < table.size(); ++i) (i % 4 == 0 ? test : train).push_back(i);
  for (uint64_t seed : {3, 4}) {
    EncoderCache cache;
    FittedModel::fit(config, table, table.labels, "attention", {"mri", "clinical"}, train, seed, {}, &cache);
    EXPECT_EQ(cache.size(), 2u);  // mri and clinical
    const auto shared = FittedModel::fit(config, table, table.labels, "early", {"mri"}, train, seed, {}, &cache);
    EXPECT_EQ(cache.size(), 2u);  // mri came from the cache
    const auto alone = FittedModel::fit(config, table, table.labels, "early", {"mri"}, train, seed);
    EXPECT_EQ(
        (shared.predict(table, test).probabilities - alone.predict(table, test).probabilities).cwiseAbs().maxCoeff(),
        0.0)
        << seed;
    // The cell's MRI encoder is the shared stage-1 encoder, weight for weight.
    shared.save(cohort.dir / "shared", {});
    auto saved = fusion::load_bundle(cohort.dir / "shared" / "network.pt").model;
    size_t compared = 0;
    for (const auto& [key, network] : cache) {
      if (network->spec().modalities.at(0).name != "mri") continue;
      const auto trained = network->encoder(0).named_parameters();
      for (const auto& item : saved->encoder(0).named_parameters()) {
        EXPECT_TRUE(torch::equal(item.value(), trained[item.key()])) << item.key();
        ++compared;
      }
    }
    EXPECT_GT(compared, 0u);
  }
  // The whole grid runs two-stage and gives every model.
  std::ostringstream log;
  const auto summary = run_experiment(config, cohort.dir / "run", log);
  EXPECT_EQ(summary.cells, 4u);
}

TEST(Preprocessing, MrmrSkipsARedundantCopyForAWeakerIndependentColumn) {
  // Column 0 separates the positive class, column 1 is a near copy of it, column 2 separates the
  // zero class (a different, slightly weaker contrast), columns 3-7 are noise. ANOVA's top two are
  // the copies; mRMR takes 0 or 1, then 2.
  for (uint64_t seed : {3u, 4u, 5u}) {
    core::Rng rng(seed);
    const int n = 120;
    FeatureBlock block{"mri", {}, Eigen::MatrixXd(n, 8), std::vector<bool>(n, true), {}};
    std::vector<int> labels;
    for (int j = 0; j < 8; ++j) block.columns.push_back("c" + std::to_string(j));
    for (int i = 0; i < n; ++i) {
      labels.push_back(i % 3);
      block.values(i, 0) = 2.0 * (i % 3 == 2) + rng.normal();
      block.values(i, 1) = block.values(i, 0) + 0.05 * rng.normal();
      block.values(i, 2) = 1.6 * (i % 3 == 0) + rng.normal();
      for (int j = 3; j < 8; ++j) block.values(i, j) = rng.normal();
    }
    std::vector<size_t> train(n);
    for (int i = 0; i < n; ++i) train[i] = i;
    BlockPreprocessor anova, mrmr;
    anova.fit(block, train, labels, {2, "anova", 0, 0.02}, true);
    mrmr.fit(block, train, labels, {2, "mrmr", 0, 0.02}, true);
    EXPECT_EQ(anova.selected_names(), (std::vector<std::string>{"c0", "c1"})) << seed;
    ASSERT_EQ(mrmr.selected_names().size(), 2u);
    EXPECT_EQ(mrmr.selected_names()[1], "c2") << seed;
  }
}

TEST(ExperimentConfig, ReadsSectionsAndNamesUnknownKeys) {
  SmallCohort cohort("config", 3, 4);
  const auto config = read_experiment_config(cohort.config("modalities = mri,us\nsubsets = all\nfusion = early, late"));
  EXPECT_EQ(config.subsets.size(), 3u);
  EXPECT_EQ(config.fusions, (std::vector<std::string>{"early", "late"}));
  EXPECT_EQ(config.manifest, cohort.dir / "manifest.csv");
  EXPECT_EQ(config.training.at("epochs"), "15");
  EXPECT_EQ(config.encoder_options.at("mri").at("hidden"), "16");
  EXPECT_EQ(model_name("late", {"us", "mri"}), "late[mri+us]");
  core::write_file_atomic(cohort.dir / "bad.ini", "[cohort]\nmanifest = m\nfeatures = f\n[experimnt]\nfolds = 3\n");
  try {
    read_experiment_config(cohort.dir / "bad.ini");
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("experimnt.folds"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_experiment_config(cohort.config("subsets = mri+pet")), core::Error);
}

}  // namespace
}  // namespace vbiopsy::experiments
