// `vbiopsy run --check`: every problem of an experiment config at once, before anything is created.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../test_support.h"

namespace {
namespace fs = std::filesystem;

using vbiopsy::testing_support::run_command;
const std::string kProgram = std::string(VBIOPSY_BIN_DIR) + "/vbiopsy";

TEST(RunCheck, ReportsEveryProblemWithASuggestionAndCreatesNothing) {
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_run_check_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "typos.ini")
      << "[cohort]\nmanifest = missing/manifest.csv\nfeatures = missing/features.csv\n"
         "[experiment]\nmodalities = mri,us,clinical\nfusion = eraly,late,logistic\nfodls = 3\n"
         "[encoder.mri]\nname = radiomics_mlp\nhiden = 16\n"
         "[encoder.us]\nname = radiomics_mlp\ndropout = 1.5\n"
         "[fusion.late]\ncombine = mean\n[fusion.logistic]\nlambda = 0.1\npenalty = l3\n";
  const auto checked = run_command(kProgram + " run --check --config " + (dir / "typos.ini").string() + " --out " +
                                   (dir / "run").string());
  EXPECT_EQ(checked.status, 2) << checked.output;
  for (const char* expected :
       {"cohort.manifest = ", "no such file", "unknown key 'experiment.fodls' (did you mean 'experiment.folds'?)",
        "has no option 'hiden' (did you mean 'hidden'?)", "option 'dropout' = '1.5', expected a probability in [0, 1)",
        "experiment.fusion has 'eraly': unknown method (did you mean 'early'?)", "[fusion.logistic]: "})
    EXPECT_NE(checked.output.find(expected), std::string::npos) << expected << "\n" << checked.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
  // Without --check the run stops the same way before creating its folder.
  const auto run =
      run_command(kProgram + " run --config " + (dir / "typos.ini").string() + " --out " + (dir / "run").string());
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_NE(run.output.find("unknown method (did you mean 'early'?)"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
  fs::remove_all(dir);
}

}  // namespace
