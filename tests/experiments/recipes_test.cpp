#include "experiments/runner.h"

#include <gtest/gtest.h>

#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "experiments/config.h"
#include "modalities/synthetic_cohort.h"

namespace vbiopsy::experiments {
namespace {

namespace fs = std::filesystem;

// Every recipe runs end to end (extraction included) on a small synthetic cohort: a smoke test of
// the published designs, with the statistics shortened.
TEST(Recipes, EveryRecipeRunsOnASmallSyntheticCohort) {
  const auto dir = fs::temp_directory_path() / ("vbiopsy_recipes_" + std::to_string(getpid()));
  fs::remove_all(dir);
  modalities::SynthWriteOptions synth;
  synth.synth.cases = 36;
  synth.synth.seed = 3;
  modalities::write_synthetic_cohort(synth, dir / "cohort");
  size_t recipes = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(VBIOPSY_SOURCE_DIR) / "experiments" / "recipes")) {
    if (entry.path().extension() != ".ini" || entry.path().filename().string().find("_extract") != std::string::npos) continue;
    ++recipes;
    auto config = read_experiment_config(entry.path());
    config.manifest = dir / "cohort" / "manifest.csv";
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
  EXPECT_GE(recipes, 4u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vbiopsy::experiments
