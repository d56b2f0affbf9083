// Sharing items among ranks (cluster/balance.h): every item once, deterministic, and the largest
// share within the 4/3 bound of the best possible.
#include "cluster/balance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "cluster/job.h"
#include "core/error.h"

namespace vbiopsy::cluster {
namespace {

double largest_share(const std::vector<std::vector<size_t>>& shares, const std::vector<double>& costs) {
  double largest = 0;
  for (const auto& share : shares) {
    double sum = 0;
    for (const size_t i : share) sum += costs[i];
    largest = std::max(largest, sum);
  }
  return largest;
}

TEST(Balance, TheCostliestItemsGoFirstToTheLeastLoadedRank) {
  // 5 -> r0, 4 -> r1, 3 -> r1 (4 < 5), 3 -> r0 (5 < 7), 3 -> r1 (7 < 8): {0, 3} and {1, 2, 4}.
  const auto shares = balance({5, 4, 3, 3, 3}, 2);
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_EQ(shares[0], (std::vector<size_t>{0, 3}));
  EXPECT_EQ(shares[1], (std::vector<size_t>{1, 2, 4}));
  // Equal costs go round the ranks in index order.
  EXPECT_EQ(balance({1, 1, 1, 1}, 3), (std::vector<std::vector<size_t>>{{0, 3}, {1}, {2}}));
  // More ranks than items: the others get nothing; one rank gets everything.
  EXPECT_EQ(balance({2, 1}, 3)[2], std::vector<size_t>{});
  EXPECT_EQ(balance({2, 1, 7}, 1)[0], (std::vector<size_t>{0, 1, 2}));
}

TEST(Balance, EveryItemOnceAndTheLargestShareWithinFourThirdsOfTheBest) {
  for (const unsigned seed : {1u, 2u, 3u, 4u, 5u}) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> cost(1, 100);
    std::vector<double> costs(40);
    for (auto& c : costs) c = cost(random);
    for (const int ranks : {2, 3, 7}) {
      const auto shares = balance(costs, ranks);
      std::vector<size_t> all;
      for (const auto& share : shares) {
        EXPECT_TRUE(std::is_sorted(share.begin(), share.end()));
        all.insert(all.end(), share.begin(), share.end());
      }
      std::sort(all.begin(), all.end());
      std::vector<size_t> expected(costs.size());
      std::iota(expected.begin(), expected.end(), size_t{0});
      EXPECT_EQ(all, expected) << "seed " << seed << ", " << ranks << " ranks";
      // The best possible is at least the mean share and at least the costliest item.
      const double best_bound = std::max(std::accumulate(costs.begin(), costs.end(), 0.0) / ranks,
                                         *std::max_element(costs.begin(), costs.end()));
      EXPECT_LE(largest_share(shares, costs), best_bound * 4.0 / 3.0) << "seed " << seed << ", " << ranks << " ranks";
      EXPECT_EQ(shares, balance(costs, ranks));
    }
  }
}

TEST(Job, AProcessNotStartedByAnMpiLauncherIsAJobOfOne) {
  ASSERT_EQ(std::getenv("OMPI_COMM_WORLD_SIZE"), nullptr);
  EXPECT_EQ(job().size(), 1);
  EXPECT_EQ(job().rank(), 0);
  EXPECT_EQ(job().gather("mine"), std::vector<std::string>{"mine"});
  EXPECT_EQ(job().all_gather("mine"), std::vector<std::string>{"mine"});
  EXPECT_EQ(share_of_this_rank({3, 1, 2}), (std::vector<size_t>{0, 1, 2}));
  EXPECT_THROW(job().fail("stop"), core::Error);
}

}  // namespace
}  // namespace vbiopsy::cluster
