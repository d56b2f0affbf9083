// The two programs behind the `vbiopsy` command line (tools/dispatch.h), run as a user runs them.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <string>

#include "../test_support.h"

namespace {
namespace fs = std::filesystem;

using Result = vbiopsy::testing_support::CommandResult;
Result run(const std::string& command) { return vbiopsy::testing_support::run_command(command); }

const std::string kProgram = std::string(VBIOPSY_BIN_DIR) + "/vbiopsy";

TEST(Dispatch, ModelCommandsRunInVbiopsyLearnWithTheSameArguments) {
  const Result list = run(kProgram + " list");
  EXPECT_EQ(list.status, 0) << list.output;
  // Generated from the registries: the image encoders with the crops they declare, every grid method with its kind.
  for (const char* expected :
       {"encoders ([encoder.<modality>] name):", "reads the images of mri (volume)",
        "fusion methods (experiment.fusion):", "  late - [fusion network]", "stacking_learner = logistic",
        "  xgboost - [classical learner]", "  submodels - [binary submodels]", "read by cnn2d, cnn3d, vit2d"})
    EXPECT_NE(list.output.find(expected), std::string::npos) << expected << "\n" << list.output;
  // Options reach the other program, and its messages still name `vbiopsy`.
  const Result missing = run(kProgram + " report --bogus");
  EXPECT_EQ(missing.status, 1) << missing.output;
  EXPECT_NE(missing.output.find("vbiopsy report: error:"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("bogus"), std::string::npos) << missing.output;
}

TEST(Dispatch, UsageListsEveryCommandAndUnknownCommandsAreRefused) {
  const Result usage = run(kProgram + " --help");
  EXPECT_EQ(usage.status, 0);
  for (const char* command :
       {"synth", "validate", "radiomics", "filter", "extract", "run", "predict", "report", "reproduce", "list"})
    EXPECT_NE(usage.output.find(std::string("  ") + command + " "), std::string::npos) << command;
  const Result version = run(kProgram + " --version");
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.output.rfind("vbiopsy ", 0), 0u) << version.output;
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(version.output[8]))) << version.output;
  const Result unknown = run(kProgram + " fly");
  EXPECT_EQ(unknown.status, 64);
  EXPECT_NE(unknown.output.find("unknown command 'fly'"), std::string::npos) << unknown.output;
}

TEST(Dispatch, AMissingVbiopsyLearnIsNamedNotACrash) {
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_dispatch_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(kProgram, dir / "vbiopsy", fs::copy_options::overwrite_existing);
  const Result alone = run((dir / "vbiopsy").string() + " run --help");
  EXPECT_EQ(alone.status, 1) << alone.output;
  EXPECT_NE(alone.output.find((dir / "vbiopsy-learn").string()), std::string::npos) << alone.output;
  EXPECT_NE(alone.output.find("must stay in the same folder"), std::string::npos) << alone.output;
  // The commands of vbiopsy itself still work there.
  EXPECT_EQ(run((dir / "vbiopsy").string() + " synth --help").status, 0);
  fs::remove_all(dir);
}

}  // namespace
