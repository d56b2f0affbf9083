#pragma once
// Data-parallel training of one model over several processes ([training] distributed = gloo):
// LibTorch's c10d ProcessGroupGloo, the collective backend torch.distributed uses on CPUs, met
// through a c10d TCPStore as torch.distributed meets (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE).
// LibTorch 1.13 has no C++ DistributedDataParallel, so the training loop (training.cpp) does its
// work: every rank starts from rank 0's parameters, computes the loss of its shard of each batch,
// and sums the gradients over the ranks after backward, so that every rank takes the same step.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vbiopsy::fusion {

// Rank `rank`'s part [begin, end) of n items shared by `size` ranks: contiguous, in rank order,
// sizes differing by at most one.
std::pair<int64_t, int64_t> shard_of(int64_t n, int rank, int size);

class DataParallelGroup {
 public:
  // Joins the group of `size` processes as `rank`; rank 0 listens at host:port, the others connect.
  DataParallelGroup(const std::string& host, int port, int rank, int size);
  ~DataParallelGroup();
  DataParallelGroup(const DataParallelGroup&) = delete;
  DataParallelGroup& operator=(const DataParallelGroup&) = delete;

  // The group as torch.distributed finds it: RANK and WORLD_SIZE, else the MPI launcher's rank and
  // size (mpirun, srun); MASTER_ADDR (default 127.0.0.1) and MASTER_PORT (default 29500). An error
  // when neither says how many processes there are.
  static std::shared_ptr<DataParallelGroup> from_environment();
  // The group of this process, joined from the environment on first use and kept to exit.
  static DataParallelGroup& of_this_process();

  int rank() const { return rank_; }
  int size() const { return size_; }
  std::pair<int64_t, int64_t> shard(int64_t n) const { return shard_of(n, rank_, size_); }
  // Each tensor summed over the ranks, in place (the same bits on every rank).
  void sum(std::vector<at::Tensor>& tensors);
  // The parameters' gradients summed over the ranks, in place, with `also` (one collective when
  // they share the gradients' type); a parameter without a gradient on this rank (no shard, or not
  // used) adds zeros.
  void sum_gradients(std::vector<at::Tensor>& parameters, std::vector<at::Tensor> also = {});
  // Rank 0's values, in place on every rank.
  void broadcast(std::vector<at::Tensor>& tensors);

 private:
  // An all-reduce (sum) or a broadcast from rank 0 of the tensors, in place; `doing` names it in an error.
  void collective(std::vector<at::Tensor>& tensors, const char* doing, bool sum);

  struct Backend;
  std::unique_ptr<Backend> backend_;
  int rank_ = 0, size_ = 1;
};

}  // namespace vbiopsy::fusion
