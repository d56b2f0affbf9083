// The `vbiopsy` command line and the programs it starts (tools/vbiopsy.cpp), run as a user runs them.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

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

TEST(Dispatch, HelpAndMistakesAreAnsweredWithoutThePrograms) {
  const fs::path dir = fs::temp_directory_path() / ("vbiopsy_dispatch_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(kProgram, dir / "vbiopsy", fs::copy_options::overwrite_existing);
  const std::string alone = (dir / "vbiopsy").string();
  for (const char* command : {"synth", "radiomics", "filter", "run", "predict", "list"}) {
    const Result help = run(alone + " " + command + " --help");
    EXPECT_EQ(help.status, 0) << command << ": " << help.output;
    EXPECT_NE(help.output.find(std::string("usage: vbiopsy ") + command), std::string::npos) << help.output;
  }
  const Result bogus = run(alone + " run --config c.ini --bogus");
  EXPECT_EQ(bogus.status, 1) << bogus.output;
  EXPECT_NE(bogus.output.find("vbiopsy run: error:"), std::string::npos) << bogus.output;
  EXPECT_NE(bogus.output.find("bogus"), std::string::npos) << bogus.output;
  const Result missing = run(alone + " radiomics --image a.nrrd --out f.csv");
  EXPECT_EQ(missing.status, 1) << missing.output;
  EXPECT_NE(missing.output.find("'--mask' is required"), std::string::npos) << missing.output;
  // A command whose program is not beside vbiopsy names the program it needs.
  const std::vector<std::pair<std::string, std::string>> needs = {
      {"run --config c.ini --out r", "vbiopsy-learn"},
      {"radiomics --image a.nrrd --mask b.nii.gz --out f.csv", "vbiopsy-radiomics"},
      {"radiomics --image a.dcm --mask b.nrrd --out f.csv", "vbiopsy-data"},
      {"radiomics --image a.nrrd --mask b.png --out f.csv", "vbiopsy-data"},
      {"filter --image a.nrrd --params p.ini --out map.png", "vbiopsy-data"},
      {"extract --manifest m.csv --out x", "vbiopsy-data"}};
  for (const auto& [command, program] : needs) {
    const Result result = run(alone + " " + command);
    EXPECT_EQ(result.status, 1) << command << ": " << result.output;
    EXPECT_NE(result.output.find((dir / program).string()), std::string::npos) << command << ": " << result.output;
    EXPECT_NE(result.output.find("must stay in the same folder"), std::string::npos) << result.output;
  }
  fs::remove_all(dir);
}

TEST(Dispatch, DicomAndPicturesAreReadByTheProgramThatLinksTheirLibraries) {
  const std::string data = VBIOPSY_TEST_DATA;
  const std::string out =
      (fs::temp_directory_path() / ("vbiopsy_route_" + std::to_string(::getpid()) + ".csv")).string();
  const Result dicom = run(kProgram + " radiomics --image " + data + "/dicom_seg_dcmqi/image --mask " + data +
                           "/dicom_seg_dcmqi/label.seg.dcm --out " + out);
  EXPECT_EQ(dicom.status, 0) << dicom.output;
  EXPECT_NE(dicom.output.find("wrote "), std::string::npos) << dicom.output;
  const Result picture = run(kProgram + " radiomics --image " + data + "/ultrasound_busi/malignant_1.png --mask " +
                             data + "/ultrasound_busi/malignant_1_mask.png --out " + out);
  EXPECT_EQ(picture.status, 0) << picture.output;
  EXPECT_NE(picture.output.find("1 mm pixels assumed"), std::string::npos) << picture.output;
  // The volumes-only program, started directly on a DICOM folder, says what it reads.
  const Result direct = run(std::string(VBIOPSY_BIN_DIR) + "/vbiopsy-radiomics radiomics --image " + data +
                            "/dicom_seg_dcmqi/image --mask " + data + "/dicom_seg_dcmqi/label.nrrd --out " + out);
  EXPECT_EQ(direct.status, 1) << direct.output;
  EXPECT_NE(direct.output.find("reads NIfTI, NRRD and MetaImage files only"), std::string::npos) << direct.output;
  fs::remove(out);
}

// What keeps a per-case radiomics call fast: its program loads neither DCMTK, OpenCV nor LibTorch.
TEST(Dispatch, TheVolumesOnlyProgramLoadsNoDicomPictureOrLearningLibrary) {
  const Result libraries = run("ldd " + std::string(VBIOPSY_BIN_DIR) + "/vbiopsy-radiomics");
  ASSERT_EQ(libraries.status, 0) << libraries.output;
  EXPECT_NE(libraries.output.find("libITKIONRRD"), std::string::npos) << libraries.output;
  for (const char* heavy : {"libdcm", "libofstd", "libopencv", "libtorch", "libxml2", "libicu", "libblas"})
    EXPECT_EQ(libraries.output.find(heavy), std::string::npos) << heavy << " in\n" << libraries.output;
  const Result dispatcher = run("ldd " + kProgram);
  for (const char* heavy : {"libITK", "libdcm", "libopencv", "libtorch"})
    EXPECT_EQ(dispatcher.output.find(heavy), std::string::npos) << heavy << " in\n" << dispatcher.output;
}

}  // namespace
