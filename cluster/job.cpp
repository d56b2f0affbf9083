#include "cluster/job.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cluster/balance.h"
#include "core/error.h"
#include "core/strings.h"

#ifdef VBIOPSY_HAVE_MPI
// The C interface only: MPI's C++ bindings are deprecated and live in another library.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace vbiopsy::cluster {
namespace {

// The number of ranks an MPI launcher gave this process's job, or 0 when none started it.
int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* value = std::getenv(name)) return std::max(1, std::atoi(value));
  if (std::getenv("PMIX_RANK")) return 1;  // PMIx without the size in the environment: MPI will say
  return 0;
}

class Alone final : public Job {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}
  std::vector<std::string> gather(const std::string& mine) override { return {mine}; }
  std::vector<std::string> all_gather(const std::string& mine) override { return {mine}; }
  [[noreturn]] void fail(const std::string& message) override { throw core::Error(message); }
};

#ifdef VBIOPSY_HAVE_MPI
class MpiJob final : public Job {
 public:
  MpiJob() {
    int provided = 0;
    // Only the main thread calls MPI; threads and worker processes inside a rank do not.
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    std::atexit([] {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Finalize();
    });
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  std::vector<std::string> gather(const std::string& mine) override { return collect(mine, false); }
  std::vector<std::string> all_gather(const std::string& mine) override { return collect(mine, true); }
  [[noreturn]] void fail(const std::string& message) override {
    std::cerr << "vbiopsy: error on rank " << rank_ << " of " << size_ << ": " << message
              << "\nvbiopsy: stopping every rank; rerun the same command to resume from what was written\n"
              << std::flush;
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);  // MPI_Abort does not return
  }

 private:
  // Every rank's bytes, on rank 0 or (everywhere) on every rank.
  std::vector<std::string> collect(const std::string& mine, bool everywhere) {
    const int length = static_cast<int>(mine.size());
    const bool receives = everywhere || rank_ == 0;
    std::vector<int> lengths(receives ? static_cast<size_t>(size_) : 0);
    if (everywhere)
      MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
    else
      MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> starts(lengths.size());
    long total = 0;
    for (size_t r = 0; r < lengths.size(); ++r) {
      starts[r] = static_cast<int>(std::min(total, 2147483647L));
      total += lengths[r];
    }
    // The same answer on every receiving rank, so none goes on alone into the transfer.
    if (total > 2147483647L)
      fail(core::concat("the ranks' reports add up to ", total, " bytes, more than one MPI message"));
    std::string all(static_cast<size_t>(total), '\0');
    if (everywhere)
      MPI_Allgatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), starts.data(), MPI_CHAR,
                     MPI_COMM_WORLD);
    else
      MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), starts.data(), MPI_CHAR, 0,
                  MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (size_t r = 0; r < lengths.size(); ++r)
      out.push_back(all.substr(static_cast<size_t>(starts[r]), static_cast<size_t>(lengths[r])));
    return out;
  }

  int rank_ = 0, size_ = 1;
};
#endif

std::unique_ptr<Job> start_job() {
  const int ranks = launched_ranks();
#ifdef VBIOPSY_HAVE_MPI
  if (ranks > 0) return std::make_unique<MpiJob>();
#else
  if (ranks > 1)
    throw core::Error(core::concat("an MPI launcher started ", ranks,
                                   " copies of this command, but this vbiopsy was built without MPI, so each would "
                                   "repeat the whole work in the same folder; install libopenmpi-dev and rebuild, or "
                                   "run it without mpirun"));
#endif
  return std::make_unique<Alone>();
}

}  // namespace

Job& job() {
  static const std::unique_ptr<Job> the_job = start_job();
  return *the_job;
}

std::vector<size_t> share_of_this_rank(const std::vector<double>& costs) {
  return balance(costs, job().size())[static_cast<size_t>(job().rank())];
}

std::unique_ptr<core::FolderLock> lock_folder_for_job(const std::filesystem::path& folder, const std::string& command) {
  std::unique_ptr<core::FolderLock> lock;
  if (job().rank() == 0) {
    lock = std::make_unique<core::FolderLock>(folder, command);
    core::remove_stale_temporaries(folder);
  }
  job().barrier();
  return lock;
}

bool built_with_mpi() {
#ifdef VBIOPSY_HAVE_MPI
  return true;
#else
  return false;
#endif
}

int run_as_job(const std::function<int()>& command) {
  try {
    return command();
  } catch (const std::exception& e) {
    if (job().size() > 1) job().fail(e.what());
    throw;
  }
}

}  // namespace vbiopsy::cluster
