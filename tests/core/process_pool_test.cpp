#include "core/process_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/random.h"

namespace vbiopsy::core {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("vbiopsy_pool_" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// Each task draws from a process-wide generator it seeds itself (as training seeds LibTorch's) and
// leaves its draw in a file.
ProcessTasks drawing_tasks(const fs::path& dir, size_t count, Rng& shared_generator, std::vector<size_t>* done) {
  ProcessTasks tasks;
  tasks.count = count;
  tasks.run = [&, dir](size_t i) {
    shared_generator = Rng(1000 + i);
    std::string text;
    for (int k = 0; k < 50; ++k) text += std::to_string(shared_generator.below(1000000)) + "\n";
    write_file_atomic(dir / (std::to_string(i) + ".txt"), text);
  };
  tasks.done = [done](size_t i) { done->push_back(i); };
  return tasks;
}

TEST(ProcessPool, SameFilesOnAnyWorkerCountAndTheCallerKeepsItsState) {
  TempDir one, many;
  Rng generator(7);
  std::vector<size_t> done_one, done_many;
  run_in_processes(drawing_tasks(one.path, 9, generator, &done_one), 1);
  const auto after_inline = generator.below(1000000);
  Rng untouched(7);
  Rng generator_many(7);
  for (unsigned workers : {2u, 3u, 8u}) {
    done_many.clear();
    fs::remove_all(many.path);
    fs::create_directories(many.path);
    run_in_processes(drawing_tasks(many.path, 9, generator_many, &done_many), workers);
    ASSERT_EQ(done_many.size(), 9u) << workers << " workers";
    std::sort(done_many.begin(), done_many.end());
    for (size_t i = 0; i < 9; ++i) {
      EXPECT_EQ(done_many[i], i);
      EXPECT_EQ(read_text_file(many.path / (std::to_string(i) + ".txt")),
                read_text_file(one.path / (std::to_string(i) + ".txt")))
          << "task " << i << ", " << workers << " workers";
    }
  }
  // The tasks ran in the workers: this process's generator is where it was.
  EXPECT_EQ(generator_many.below(1000000), untouched.below(1000000));
  EXPECT_NE(after_inline, untouched.below(1000000));  // the inline run did move it (the test can tell)
  EXPECT_EQ(done_one, (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(ProcessPool, WorkersKeepToAGroupSoItsStateIsRarelyBuiltTwice) {
  // Four groups of six tasks (and an empty one); each task notes which worker process ran it.
  TempDir dir;
  ProcessTasks tasks;
  tasks.count = 24;
  tasks.group_starts = {0, 6, 12, 12, 18};
  auto group_of = [](size_t i) { return i < 6 ? 0 : i < 12 ? 1 : i < 18 ? 3 : 4; };
  tasks.run = [&](size_t i) {
    usleep(5000);
    write_file_atomic(dir.path / (std::to_string(i) + ".txt"), std::to_string(getpid()));
  };
  for (int round = 0; round < 3; ++round) {
    run_in_processes(tasks, 2);
    std::set<std::pair<std::string, int>> built;  // (worker, group) pairs: how often a group's state is built
    for (size_t i = 0; i < tasks.count; ++i)
      built.insert({read_text_file(dir.path / (std::to_string(i) + ".txt")), group_of(i)});
    // Two workers: each group once, plus at most a worker joining the last group(s) in progress.
    // Handing the tasks out in plain index order would put both workers in nearly every group (8).
    EXPECT_LE(built.size(), 6u) << "round " << round;
    EXPECT_GE(built.size(), 4u);
  }
}

TEST(ProcessPool, ATaskErrorIsRethrownWithItsMessageAndStopsNewTasks) {
  TempDir dir;
  for (unsigned workers : {1u, 3u}) {
    ProcessTasks tasks;
    tasks.count = 40;
    tasks.run = [&](size_t i) {
      if (i == 2) fail("case X: field 'age' = 'old', expected a number");
      if (i > 2) usleep(20000);  // later tasks are slow enough for the stop to be seen
      write_file_atomic(dir.path / (std::to_string(i) + "_" + std::to_string(workers)), "x");
    };
    try {
      run_in_processes(tasks, workers);
      ADD_FAILURE() << "no error with " << workers << " workers";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "case X: field 'age' = 'old', expected a number");
    }
    size_t written = 0;
    for (size_t i = 0; i < tasks.count; ++i)
      written += fs::exists(dir.path / (std::to_string(i) + "_" + std::to_string(workers)));
    EXPECT_LT(written, 10u) << workers << " workers went on after the failure";
  }
}

TEST(ProcessPool, AWorkerKilledByASignalIsReportedWithItsTask) {
  ProcessTasks tasks;
  tasks.count = 4;
  tasks.run = [](size_t i) {
    if (i == 3) std::raise(SIGKILL);
  };
  try {
    run_in_processes(tasks, 2);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("signal 9"), std::string::npos) << message;
    EXPECT_NE(message.find("task(s) 3"), std::string::npos) << message;
  }
}

TEST(ProcessPool, WorkerInitRunsInEachWorkerAndItsErrorIsReported) {
  ProcessTasks tasks;
  tasks.count = 3;
  tasks.run = [](size_t) {};
  tasks.worker_init = [] { fail("cannot set up the worker"); };
  EXPECT_THROW(run_in_processes(tasks, 2), Error);
}

}  // namespace
}  // namespace vbiopsy::core
