#pragma once
// The processes of one MPI job (started by mpirun or srun) that run one command together, each
// doing its share and rank 0 writing the outputs; without an MPI launcher (or without MPI at build
// time), a job of this process alone, where every call below is trivial. MPI is only the transport:
// the work is shared through the folders the command writes (the extraction's content cache, the
// run's per-fold files), which is what lets a rerun resume whatever happened to a rank.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/files.h"

namespace vbiopsy::cluster {

class Job {
 public:
  virtual ~Job() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Waits until every rank has reached it.
  virtual void barrier() = 0;
  // On rank 0: every rank's `mine`, in rank order; on the others: nothing.
  virtual std::vector<std::string> gather(const std::string& mine) = 0;
  // On every rank: every rank's `mine`, in rank order.
  virtual std::vector<std::string> all_gather(const std::string& mine) = 0;
  // Ends the command on every rank: alone, by throwing core::Error(message); in a job of several,
  // by printing the message with this rank's number and aborting the job (a rank that returned
  // alone would leave the others waiting for it).
  [[noreturn]] virtual void fail(const std::string& message) = 0;
};

// This process's job. MPI is initialised on the first call when an MPI launcher started the
// process (its environment says so: OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE) and finalised at
// exit; a launch of several ranks by a build without MPI is an error, since each rank would repeat
// the whole command in the same folder.
Job& job();

// This rank's share of items whose costs are given (cluster/balance.h); every item when alone.
std::vector<size_t> share_of_this_rank(const std::vector<double>& costs);

// The folder's lock (core::FolderLock) for the whole job: rank 0 takes it and removes the stale
// temporaries a killed run left; every rank returns once that is done (the others hold null).
std::unique_ptr<core::FolderLock> lock_folder_for_job(const std::filesystem::path& folder, const std::string& command);

// Whether this build can run as an MPI job.
bool built_with_mpi();

// Runs a command's body; an error on any rank of a job of several fails the whole job (Job::fail).
int run_as_job(const std::function<int()>& command);

}  // namespace vbiopsy::cluster
