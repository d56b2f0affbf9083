// `vbiopsy extract` and `vbiopsy run` as MPI jobs (cluster/job.h), started by mpirun as a user
// starts them: the same bytes as one process, a killed rank named, and a rerun that resumes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "../test_support.h"
#include "core/files.h"

namespace {
namespace fs = std::filesystem;
using vbiopsy::testing_support::run_command;

const std::string kProgram = std::string(VBIOPSY_BIN_DIR) + "/vbiopsy";
const std::string kExtractConfig = std::string(VBIOPSY_SOURCE_DIR) + "/experiments/demo_extract.ini";

#ifdef VBIOPSY_MPIEXEC
// mpirun with two ranks on this machine whatever its core count; allowed as root (CI runs as root).
std::string mpirun(const std::string& marker = "none") {
  return std::string(VBIOPSY_MPIEXEC) + " -n 2 --oversubscribe --allow-run-as-root -x VBIOPSY_TEST_MARK=" + marker +
         " ";
}

// A 10-case synthetic cohort, extracted once by one process: the reference of every test.
class MpiJob : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("vbiopsy_mpi_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const auto synth = run_command(kProgram + " synth --cases 10 --seed 5 --out " + (dir_ / "cohort").string());
    ASSERT_EQ(synth.status, 0) << synth.output;
    const auto one = run_command(extract_command(dir_ / "one", 1));
    ASSERT_EQ(one.status, 0) << one.output;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string extract_command(const fs::path& out, int threads) {
    return kProgram + " extract --manifest " + (dir_ / "cohort" / "manifest.csv").string() + " --config " +
           kExtractConfig + " --threads " + std::to_string(threads) + " --out " + out.string();
  }
  static inline fs::path dir_;
};

TEST_F(MpiJob, ExtractionOnTwoRanksWritesTheTableOfOneProcess) {
  for (const int threads : {1, 2}) {
    const fs::path out = dir_ / ("two_ranks_threads" + std::to_string(threads));
    const auto two = run_command(mpirun() + extract_command(out, threads));
    ASSERT_EQ(two.status, 0) << two.output;
    const auto report = two.output.find("extracted 10 cases (");
    EXPECT_NE(report, std::string::npos) << two.output;
    EXPECT_EQ(two.output.find("extracted 10 cases (", report + 1), std::string::npos) << "rank 0 alone reports:\n"
                                                                                      << two.output;
    EXPECT_EQ(vbiopsy::core::read_text_file(out / "features.csv"),
              vbiopsy::core::read_text_file(dir_ / "one" / "features.csv"))
        << "threads " << threads;
    // The habitat files, written by rank 0 alone, are those of one process.
    for (const std::string file :
         {"habitat_model.csv", "SYN0001/mri/habitats.nii.gz", "SYN0001/mri/habitats_overlay.png"}) {
      ASSERT_TRUE(fs::exists(out / file)) << file;
      EXPECT_EQ(vbiopsy::core::read_text_file(out / file), vbiopsy::core::read_text_file(dir_ / "one" / file))
          << file << ", threads " << threads;
    }
  }
}

// The process of rank `rank` of the job started with `marker`, or 0.
pid_t rank_process(const std::string& marker, int rank) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "environ", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string environment = '\0' + text.str();
    if (environment.find(std::string("\0VBIOPSY_TEST_MARK=", 19) + marker + '\0') != std::string::npos &&
        environment.find(std::string("\0OMPI_COMM_WORLD_RANK=", 22) + std::to_string(rank) + '\0') != std::string::npos)
      return static_cast<pid_t>(std::stol(entry.path().filename().string()));
  }
  return 0;
}

size_t files_under(const fs::path& dir) {
  std::error_code error;
  size_t n = 0;
  for (auto it = fs::recursive_directory_iterator(dir, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error))
    n += it->is_regular_file(error);
  return n;
}

TEST_F(MpiJob, AKilledRankIsNamedAndARerunResumesFromTheCache) {
  const fs::path out = dir_ / "killed";
  const std::string marker = "killed" + std::to_string(::getpid());
  const pid_t shell = ::fork();
  ASSERT_GE(shell, 0);
  if (shell == 0) {
    const std::string command =
        mpirun(marker) + extract_command(out, 1) + " > " + (dir_ / "killed.log").string() + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Once the ranks have written blocks into the cache, rank 1 dies.
  pid_t victim = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (files_under(out / "cache") >= 4 && (victim = rank_process(marker, 1)) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(victim, 0) << "rank 1 was not seen while the job wrote its cache";
  ::kill(victim, SIGKILL);
  int status = 0;
  ::waitpid(shell, &status, 0);
  const std::string log = vbiopsy::core::read_text_file(dir_ / "killed.log");
  EXPECT_NE(WEXITSTATUS(status), 0) << log;
  EXPECT_NE(log.find("rank 1"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(out / "features.csv")) << log;

  const auto rerun = run_command(mpirun() + extract_command(out, 1));
  ASSERT_EQ(rerun.status, 0) << rerun.output;
  EXPECT_EQ(rerun.output.find(" 0 from cache"), std::string::npos) << "the rerun resumes:\n" << rerun.output;
  EXPECT_EQ(vbiopsy::core::read_text_file(out / "features.csv"),
            vbiopsy::core::read_text_file(dir_ / "one" / "features.csv"));
}

TEST_F(MpiJob, AnErrorOnTheRanksStopsTheJobNamingTheRankAndTheError) {
  const auto failed = run_command(mpirun() + kProgram + " extract --manifest " + (dir_ / "missing.csv").string() +
                                  " --out " + (dir_ / "failed").string());
  EXPECT_NE(failed.status, 0) << failed.output;
  EXPECT_NE(failed.output.find("error on rank "), std::string::npos) << failed.output;
  EXPECT_NE(failed.output.find("missing.csv"), std::string::npos) << failed.output;
}

TEST_F(MpiJob, AnAblationOnTwoRanksWritesThePredictionsAndMetricsOfOneProcess) {
  std::ofstream(dir_ / "ablation.ini") << "[cohort]\nmanifest = cohort/manifest.csv\nfeatures = one/features.csv\n"
                                          "[experiment]\nmodalities = mri,us,clinical\nsubsets = all\n"
                                          "fusion = early,late\nfolds = 3\nrepeats = 2\nseed = 7\nthreads = 1\n"
                                          "bootstrap = 50\nmax_features = 16\n"
                                          "[training]\nepochs = 5\nbatch_size = 16\npatience = 3\n"
                                          "[encoder.mri]\nname = radiomics_mlp\nembedding = 8\nhidden = 16\n"
                                          "[encoder.us]\nname = radiomics_mlp\nembedding = 8\nhidden = 16\n"
                                          "[encoder.clinical]\nname = clinical\nembedding = 4\n";
  const std::string run = kProgram + " run --config " + (dir_ / "ablation.ini").string() + " --out ";
  const auto one = run_command(run + (dir_ / "run_one").string());
  ASSERT_EQ(one.status, 0) << one.output;
  const auto two = run_command(mpirun() + run + (dir_ / "run_two").string());
  ASSERT_EQ(two.status, 0) << two.output;
  for (const char* file : {"predictions.csv", "metrics.json", "comparisons.csv", "attention.csv", "shapley.csv"})
    EXPECT_EQ(vbiopsy::core::read_text_file(dir_ / "run_one" / file),
              vbiopsy::core::read_text_file(dir_ / "run_two" / file))
        << file;
}
// One CNN trained by both ranks ([training] distributed = gloo): the run completes, and the same
// seed on the same number of ranks gives the same bytes.
TEST_F(MpiJob, ACnnTrainedDataParallelOnTwoRanksGivesTheSameBytesTwice) {
  std::ofstream(dir_ / "gloo.ini") << "[cohort]\nmanifest = cohort/manifest.csv\n"
                                      "[experiment]\nmodalities = mg\nsubsets = all\nfusion = early\nfolds = 2\n"
                                      "seed = 11\nthreads = 1\nbootstrap = 50\n"
                                      "[encoder.mg]\nname = cnn2d\nwidth = 8\nstages = 3\ngroups = 4\nembedding = 16\n"
                                      "[images.mg]\nsize = 64\n"
                                      "[training]\nepochs = 3\nbatch_size = 8\nvalidation_fraction = 0\n"
                                      "distributed = gloo\n";
  const std::string run = mpirun() + kProgram + " run --config " + (dir_ / "gloo.ini").string() + " --out ";
  for (const char* out : {"gloo_a", "gloo_b"}) {
    const auto result =
        run_command("MASTER_PORT=" + std::to_string(29600 + ::getpid() % 1000) + " " + run + (dir_ / out).string());
    ASSERT_EQ(result.status, 0) << result.output;
  }
  EXPECT_EQ(vbiopsy::core::read_text_file(dir_ / "gloo_a" / "predictions.csv"),
            vbiopsy::core::read_text_file(dir_ / "gloo_b" / "predictions.csv"));
}
#else
TEST(MpiJob, NeedsMpiAtBuildTime) { GTEST_SKIP() << "built without MPI (libopenmpi-dev): the MPI jobs are not tested"; }
#endif

}  // namespace
