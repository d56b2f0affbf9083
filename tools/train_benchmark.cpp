// Training throughput (samples/s) of vbiopsy's own models, one optimisation step at a time
// (forward, backward, gradient clipping, AdamW): `cnn2d` on 128x128 crops with early fusion, and
// `attention` fusion on four 64-wide embeddings. tools/train_benchmark.py builds the same
// architectures in Python PyTorch; tools/train_benchmark.sh runs both and prints the ratio.
//   train_benchmark [threads] [steps] [model: cnn2d, attention or all]
// Started as several ranks (`mpirun -n 2 train_benchmark ...`), the ranks train one model data-
// parallel as [training] distributed = gloo does (fusion/data_parallel.h): each step's batch is
// shared by the ranks and the figure is the whole batch's samples per second, printed by rank 0.
#include <ATen/Parallel.h>
#include <torch/types.h>  // before clip_grad.h, which is not self-contained
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/runtime.h"
#include "fusion/data_parallel.h"
#include "fusion/model.h"

namespace {

using vbiopsy::fusion::Batch;
using vbiopsy::fusion::DataParallelGroup;
using vbiopsy::fusion::ModelSpec;
using vbiopsy::fusion::MultimodalModel;

// The data-parallel group when an MPI launcher started several ranks, else null.
DataParallelGroup* group_of_ranks() {
  const char* ranks = std::getenv("OMPI_COMM_WORLD_SIZE");
  return ranks && std::atoi(ranks) > 1 ? &DataParallelGroup::of_this_process() : nullptr;
}

double samples_per_second(MultimodalModel& model, const Batch& batch, int steps) {
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(1e-2));
  model->train();
  DataParallelGroup* group = group_of_ranks();
  auto parameters = model->parameters();
  Batch shard = batch;
  if (group) {
    group->broadcast(parameters);
    const auto [from, to] = group->shard(batch.size());
    shard = vbiopsy::fusion::select_cases(batch, torch::arange(from, to, torch::kInt64));
  }
  const double share = static_cast<double>(shard.size()) / static_cast<double>(batch.size());
  auto step = [&] {
    optimizer.zero_grad();
    (model->forward(shard).loss * share).backward();
    if (group) group->sum_gradients(parameters);
    torch::nn::utils::clip_grad_norm_(parameters, 1.0);
    optimizer.step();
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up: allocator, lazy initialisation
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(steps * batch.size()) / seconds;
}

// cnn2d (ResNet-GroupNorm, width 16, on 128x128 crops) under early fusion, batch 32.
double cnn2d_samples_per_second(int steps) {
  ModelSpec cnn;
  cnn.modalities = {{"mg", "cnn2d", {}, {1, 1, 128, 128}}};
  cnn.fusion = "early";
  MultimodalModel model(cnn);
  const int64_t batch = 32;
  const Batch images{{{torch::randn({batch, 1, 1, 128, 128}), {}}},
                     torch::ones({batch, 1}, torch::kBool),
                     torch::arange(batch, torch::kInt64) % 3};
  return samples_per_second(model, images, steps);
}

// Attention fusion over four precomputed 64-wide embeddings, batch 64.
double attention_samples_per_second(int steps) {
  ModelSpec attention;
  for (const char* name : {"clinical", "mg", "mri", "us"})
    attention.modalities.push_back({name, "precomputed", {}, {64}});
  attention.fusion = "attention";
  MultimodalModel model(attention);
  const int64_t batch = 64;
  Batch embeddings;
  for (int m = 0; m < 4; ++m) embeddings.inputs.push_back({torch::randn({batch, 64}), {}});
  embeddings.present = torch::ones({batch, 4}, torch::kBool);
  embeddings.targets = torch::arange(batch, torch::kInt64) % 3;
  return samples_per_second(model, embeddings, steps);
}

}  // namespace

int main(int argc, char** argv) {
  // As vbiopsy-learn runs under vbiopsy: BLAS kernels for this CPU (read when OpenBLAS is loaded,
  // hence the restart) and freed memory kept for reuse.
  if (vbiopsy::core::select_blas_kernels()) execv("/proc/self/exe", argv);
  vbiopsy::core::retain_freed_memory();
  const char* kernels = std::getenv("OPENBLAS_CORETYPE");
  if (!std::getenv("OMPI_COMM_WORLD_RANK") || std::atoi(std::getenv("OMPI_COMM_WORLD_RANK")) == 0)
    std::printf("blas_kernels %s\n", kernels ? kernels : "default");  // train_benchmark.sh gives Python the same
  const int threads = argc > 1 ? std::stoi(argv[1]) : 1;
  const int steps = argc > 2 ? std::stoi(argv[2]) : 10;
  const std::string only = argc > 3 ? argv[3] : "all";  // one model alone, e.g. for a profiler
  at::set_num_threads(threads);
  torch::manual_seed(0);

  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
  const bool speaks = !rank || std::atoi(rank) == 0;
  if (only == "all" || only == "cnn2d") {
    const double figure = cnn2d_samples_per_second(steps);
    if (speaks) std::printf("cnn2d %.2f\n", figure);
  }
  if (only == "all" || only == "attention") {
    const double figure = attention_samples_per_second(steps * 20);
    if (speaks) std::printf("attention %.2f\n", figure);
  }
  return 0;
}
