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
  size_t recipes = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(VBIOPSY_SOURCE_DIR) / "experiments" / "recipes")) {
    if (entry.path().extension() != ".ini" || entry.path().filename().string().find("_extract") != std::string::npos) continue;
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
    EXPECT_TRUE(metrics.at(summary.best_model).at("metrics").at("macro_auc").at("estimate").is_number()) << entry.path();
    EXPECT_TRUE(fs::exists(run / "report.html")) << entry.path();
  }
  EXPECT_GE(recipes, 6u);
}

}  // namespace
}  // namespace vbiopsy::experiments
