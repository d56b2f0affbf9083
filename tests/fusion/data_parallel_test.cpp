// Data-parallel training over two processes (fusion/data_parallel.h): this test process is rank 0
// and a forked copy rank 1, meeting through c10d's TCPStore on a free local port.
#include "fusion/data_parallel.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <functional>

#include "fusion/training.h"
#include "tests/fusion/toy_data.h"

namespace vbiopsy::fusion {
namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Runs body(group) as rank 0 here and as rank 1 in a forked process; rank 1's body returns whether
// its own checks held, which becomes its exit status.
void on_two_ranks(const std::function<bool(DataParallelGroup&)>& body) {
  at::set_num_threads(1);  // no thread pool is running when the process forks
  const int port = free_port();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    bool ok = false;
    try {
      DataParallelGroup group("127.0.0.1", port, 1, 2);
      ok = body(group);
    } catch (...) {
    }
    ::_exit(ok ? 0 : 1);
  }
  {
    DataParallelGroup group("127.0.0.1", port, 0, 2);
    EXPECT_TRUE(body(group));
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "rank 1 failed its checks";
}

TEST(DataParallel, ShardsCoverABatchOnceInContiguousNearlyEqualParts) {
  for (const int64_t n : {1, 5, 16, 33}) {
    for (const int size : {1, 2, 3}) {
      int64_t next = 0;
      for (int rank = 0; rank < size; ++rank) {
        const auto [begin, end] = shard_of(n, rank, size);
        EXPECT_EQ(begin, next);
        EXPECT_GE(end - begin, n / size);
        EXPECT_LE(end - begin, n / size + 1);
        next = end;
      }
      EXPECT_EQ(next, n);
    }
  }
  DataParallelGroup alone("127.0.0.1", free_port(), 0, 1);
  EXPECT_EQ(alone.shard(7), (std::pair<int64_t, int64_t>{0, 7}));
}

// Least squares on 8 cases: each rank's shard loss weighted by its share, gradients summed over the
// ranks, equals the analytic gradient of the whole batch's mean loss, 2/N sum (w.x - y) x.
TEST(DataParallel, SummedShardGradientsAreTheWholeBatchGradient) {
  on_two_ranks([](DataParallelGroup& group) {
    const auto x = torch::arange(24, torch::kDouble).reshape({8, 3}).sin();
    const auto y = torch::arange(8, torch::kDouble).cos();
    const auto w = torch::tensor({0.3, -0.2, 0.5}, torch::kDouble).requires_grad_(true);
    const auto [from, to] = group.shard(8);
    const auto residual = x.slice(0, from, to).matmul(w) - y.slice(0, from, to);
    (residual.pow(2).mean() * (double(to - from) / 8.0)).backward();
    std::vector<at::Tensor> gradient{w.grad()};
    group.sum(gradient);
    const auto analytic = 2.0 / 8.0 * ((x.matmul(w.detach()) - y).unsqueeze(1) * x).sum(0);
    const bool equal = torch::allclose(w.grad(), analytic, 1e-12, 1e-14);
    EXPECT_TRUE(equal) << w.grad() << analytic;
    return equal;
  });
}

// A fusion model trained on two ranks: the ranks end with the same parameters, bit for bit, and the
// model learns the separable toy set as one process does (its losses within 10% of one process's:
// the shards differ from the whole batch in their dropout masks, so the runs are not identical).
TEST(DataParallel, TwoRanksTrainOneModelThatLearnsAsOneProcessDoes) {
  const auto data = testing::toy_batch(64, 7);
  const TrainingOptions options = testing::quick_training(3);
  torch::manual_seed(1);
  MultimodalModel alone(testing::toy_spec("late", {{"combine", "mean"}}));
  const auto one_process = train_model(alone, data, nullptr, options);
  on_two_ranks([&](DataParallelGroup& group) {
    torch::manual_seed(100 + group.rank());  // different starting points: rank 0's are broadcast
    MultimodalModel model(testing::toy_spec("late", {{"combine", "mean"}}));
    TrainingOptions shared = options;
    shared.data_parallel = std::shared_ptr<DataParallelGroup>(&group, [](DataParallelGroup*) {});
    const auto result = train_model(model, data, nullptr, shared);
    bool ok = testing::accuracy(predict(model, data).probabilities, data.targets) == 1.0;
    ok = ok && std::abs(result.history.back().train_loss - one_process.history.back().train_loss) <=
                   0.1 * one_process.history.front().train_loss;
    // The same parameters on both ranks: rank 0's sum of every parameter's bits equals rank 1's.
    std::vector<at::Tensor> mine, theirs;
    for (const auto& p : model->parameters()) {
      mine.push_back(p.detach().clone());
      theirs.push_back(p.detach().clone());
    }
    group.broadcast(theirs);
    for (size_t i = 0; i < mine.size(); ++i) ok = ok && torch::equal(mine[i], theirs[i]);
    EXPECT_TRUE(ok) << "rank " << group.rank() << ": loss " << result.history.back().train_loss << " vs "
                    << one_process.history.back().train_loss;
    return ok;
  });
}

}  // namespace
}  // namespace vbiopsy::fusion
