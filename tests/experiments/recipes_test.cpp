#include "experiments/runner.h"

#include <gtest/gtest.h>

#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "core/files.h"
#include "core/random.h"
#include "core/strings.h"
#include "experiments/config.h"
#include "small_cohort.h"

namespace vbiopsy::experiments {
namespace {

namespace fs = std::filesystem;

// Every recipe runs end to end (extraction included) on a small synthetic cohort: a smoke test of
// the published designs, with the statistics shortened.
TEST(Recipes, EveryRecipeRunsOnASmallSyntheticCohort) {
  const SyntheticCohortDir synthetic("recipes", 36, 3);
  const auto& dir = synthetic.dir;
  // A stand-in for a foundation model's mammography embeddings (the Wong-style recipe reads them):
  // 16 noisy projections of the cohort's latent mammography score.
  const auto truth = core::read_csv(dir / "cohort" / "truth" / "truth.csv");
  core::Rng rng(5);
  std::string embeddings = "case_id";
  for (int j = 0; j < 16; ++j) embeddings += ",mg_fm_" + std::to_string(j);
  embeddings += "\n";
  for (const auto& row : truth.rows) {
    if (row[*truth.column("has_mg")] != "1") continue;
    const double latent = *core::parse_double(row[*truth.column("latent_mg")]);
    embeddings += row[*truth.column("case_id")];
    for (int j = 0; j < 16; ++j) embeddings += "," + core::format_double((j % 3 - 1) * latent + rng.normal());
    embeddings += "\n";
  }
  core::write_file_atomic(dir / "mg_embeddings.csv", embeddings);
  size_t recipes = 0, cited = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(VBIOPSY_SOURCE_DIR) / "experiments" / "recipes")) {
    if (entry.path().extension() != ".ini" || entry.path().filename().string().find("_extract") != std::string::npos)
      continue;
    ++recipes;
    auto config = read_experiment_config(entry.path());
    config.manifest = dir / "cohort" / "manifest.csv";
    if (!config.embeddings.empty()) config.embeddings = {dir / "mg_embeddings.csv"};
    config.extract_into = dir / "features";  // one content-keyed cache: recipes with the same settings extract once
    config.folds = 3;
    config.bootstrap = 50;
    config.training["epochs"] = "3";
    config.threads = 2;
    std::ostringstream log;
    const auto run = dir / entry.path().stem();
    const auto summary = run_experiment(config, run, log);
    EXPECT_GT(summary.cases, 25u) << entry.path();
    const auto metrics = nlohmann::json::parse(core::read_text_file(run / "metrics.json"));
    EXPECT_TRUE(metrics.at(summary.best_model).at("metrics").at("macro_auc").at("estimate").is_number())
        << entry.path();
    // The cohort is vbiopsy synth's, and a recipe of a published design sets its figures beside ours.
    const auto report = core::read_text_file(run / "report.html");
    EXPECT_NE(report.find("SYNTHETIC DATA"), std::string::npos) << entry.path();
    if (config.citation.empty()) continue;
    ++cited;
    EXPECT_NE(report.find("Published vs reproduced"), std::string::npos) << entry.path();
    EXPECT_NE(report.find("https://doi.org/" + config.citation.at("doi")), std::string::npos) << entry.path();
    for (const auto& [key, value] : config.citation)
      if (key.rfind("published_", 0) == 0) {
        const auto row = "<tr><td>" + key.substr(10) + "</td><td>" + value + "</td><td>";
        EXPECT_NE(report.find(row), std::string::npos) << key;
        EXPECT_EQ(report.find(row + "–"), std::string::npos) << key;  // our figure is there too
      }
  }
  EXPECT_GE(recipes, 6u);
  EXPECT_GE(cited, 2u);
}

// A recipe's [source] is checked like every other section: known keys, figures in 0..1.
TEST(Recipes, ASourceWithATypoOrAFigureOutOfRangeIsRefused) {
  std::vector<std::string> problems;
  parse_experiment_config(
      "[cohort]\nmanifest = m.csv\nfeatures = f.csv\n[source]\ndoi = 10.1/x\npublished_auc_zeroo = "
      "0.8\npublished_auc_low = 87.7\n",
      "recipe.ini", ".", &problems);
  const auto all = core::join(problems, "\n");
  EXPECT_NE(all.find("unknown key 'source.published_auc_zeroo' (did you mean 'published_auc_zero'?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("source.published_auc_low = '87.7', expected a number in 0..1"), std::string::npos) << all;
}

}  // namespace
}  // namespace vbiopsy::experiments
