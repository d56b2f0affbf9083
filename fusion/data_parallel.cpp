#include "fusion/data_parallel.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <map>

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::fusion {
namespace {

// How long a rank waits for the others to join or to reach the same collective.
constexpr std::chrono::seconds kTimeout{300};

// An integer environment variable, or `fallback` when unset; a value that is no integer is an error.
int environment_integer(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (!text) return fallback;
  const auto value = core::parse_int(text);
  if (!value || *value < 0 || *value > 1000000)
    core::fail("data-parallel training: ", name, " = '", text, "'; expected a non-negative integer");
  return static_cast<int>(*value);
}

// The first of the variables that is set, as an integer, else -1.
int first_set(std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (std::getenv(name)) return environment_integer(name, -1);
  return -1;
}

// Runs `collective` on one flat tensor per element type holding every tensor's values (c10d
// takes a list of tensors as one per device, so they go as one), then copies the results back.
template <typename Collective>
void as_flat_tensors(std::vector<at::Tensor>& tensors, Collective&& collective) {
  torch::NoGradGuard no_grad;
  std::map<c10::ScalarType, std::vector<size_t>> by_type;  // ordered: the same sequence on every rank
  for (size_t i = 0; i < tensors.size(); ++i) by_type[tensors[i].scalar_type()].push_back(i);
  for (const auto& [type, members] : by_type) {
    std::vector<at::Tensor> parts;
    for (const size_t i : members) parts.push_back(tensors[i].detach().reshape(-1));
    std::vector<at::Tensor> flat{torch::cat(parts).contiguous()};
    collective(flat);
    int64_t at = 0;
    for (const size_t i : members) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(flat[0].slice(0, at, at + n).view(tensors[i].sizes()));
      at += n;
    }
  }
}

}  // namespace

struct DataParallelGroup::Backend {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DataParallelGroup::DataParallelGroup(const std::string& host, int port, int rank, int size)
    : backend_(std::make_unique<Backend>()), rank_(rank), size_(size) {
  if (size < 1 || rank < 0 || rank >= size)
    core::fail("data-parallel training: rank ", rank, " of ", size, " processes; expected 0 <= rank < size");
  if (port < 1 || port > 65535) core::fail("data-parallel training: port ", port, "; expected 1-65535");
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(port);
    store_options.isServer = rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(size);
    store_options.timeout = kTimeout;
    backend_->store = c10::make_intrusive<c10d::TCPStore>(host, store_options);
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    options->timeout = kTimeout;
    options->threads = 1;
    backend_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(backend_->store, rank, size, options);
  } catch (const c10::Error& e) {
    core::fail("data-parallel training: rank ", rank, " of ", size, " cannot join the group at ", host, ":", port, ": ",
               e.what_without_backtrace());
  }
}

DataParallelGroup::~DataParallelGroup() = default;

std::shared_ptr<DataParallelGroup> DataParallelGroup::from_environment() {
  const int rank = first_set({"RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"});
  const int size = first_set({"WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"});
  if (rank < 0 || size < 1)
    core::fail(
        "[training] distributed = gloo needs its processes numbered: start them with mpirun or srun, or set "
        "RANK and WORLD_SIZE (and MASTER_ADDR, MASTER_PORT) as torch.distributed does");
  const char* host = std::getenv("MASTER_ADDR");
  return std::make_shared<DataParallelGroup>(host ? host : "127.0.0.1", environment_integer("MASTER_PORT", 29500), rank,
                                             size);
}

DataParallelGroup& DataParallelGroup::of_this_process() {
  static const std::shared_ptr<DataParallelGroup> group = from_environment();
  return *group;
}

std::pair<int64_t, int64_t> shard_of(int64_t n, int rank, int size) { return {n * rank / size, n * (rank + 1) / size}; }

void DataParallelGroup::collective(std::vector<at::Tensor>& tensors, const char* doing, bool sum) {
  if (size_ == 1 || tensors.empty()) return;
  try {
    as_flat_tensors(tensors, [&](std::vector<at::Tensor>& flat) {
      (sum ? backend_->group->allreduce(flat) : backend_->group->broadcast(flat))->wait();
    });
  } catch (const c10::Error& e) {
    core::fail("data-parallel training: rank ", rank_, " lost the group while ", doing, ": ",
               e.what_without_backtrace());
  }
}

void DataParallelGroup::sum(std::vector<at::Tensor>& tensors) { collective(tensors, "summing gradients", true); }

void DataParallelGroup::sum_gradients(std::vector<at::Tensor>& parameters, std::vector<at::Tensor> also) {
  for (auto& p : parameters) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    also.push_back(p.grad());
  }
  sum(also);
}

void DataParallelGroup::broadcast(std::vector<at::Tensor>& tensors) {
  collective(tensors, "receiving rank 0's values", false);
}

}  // namespace vbiopsy::fusion
