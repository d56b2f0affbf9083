#include "fusion/fusion.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "fusion/model.h"
#include "tests/fusion/toy_data.h"

namespace vbiopsy::fusion {
namespace {

struct Method {
  std::string name;
  std::map<std::string, std::string> options;
};

std::vector<Method> every_method() {
  return {{"early", {{"dropout", "0"}}},
          {"late", {{"combine", "mean"}}},
          {"late", {{"combine", "weighted"}}},
          {"late", {{"combine", "stacking"}}},
          {"attention", {{"dim", "16"}, {"heads", "2"}, {"dropout", "0"}}},
          {"gated", {{"dim", "16"}, {"dropout", "0"}}}};
}

std::string label(const Method& m) {
  return m.name + (m.options.count("combine") ? "/" + m.options.at("combine") : "");
}

FusionInput random_embeddings(int64_t n, const std::vector<int64_t>& dims) {
  FusionInput input;
  for (auto d : dims) input.embeddings.push_back(torch::randn({n, d}));
  input.present = torch::ones({n, static_cast<int64_t>(dims.size())}, torch::kBool);
  input.present.index_put_({0, 1}, false);
  input.present.index_put_({2, 0}, false);
  return input;
}

TEST(FusionRegistry, KnowsEveryMethodAndRejectsUnknownOnes) {
  EXPECT_EQ(builtin_fusions().names(), (std::vector<std::string>{"attention", "early", "gated", "late"}));
  EXPECT_THROW(make_fusion("concat", {}, {4}, {}), core::Error);
  EXPECT_THROW(make_fusion("late", {{"combine", "max"}}, {4}, {}), core::Error);
  EXPECT_THROW(make_fusion("attention", {{"dim", "10"}, {"heads", "4"}}, {4}, {}), core::Error);
}

TEST(Fusion, EveryMethodAndHeadGivesAProbabilityDistributionPerCase) {
  torch::manual_seed(1);
  for (const auto& method : every_method())
    for (const char* head : {"softmax", "ordinal", "hierarchical"}) {
      HeadSpec spec;
      spec.kind = head;
      auto fusion = make_fusion(method.name, method.options, {5, 7, 3}, spec);
      const auto out = fusion->forward(random_embeddings(4, {5, 7, 3}), torch::tensor({0, 1, 2, 1}));
      ASSERT_EQ(out.probabilities.sizes(), (std::vector<int64_t>{4, 3})) << label(method);
      EXPECT_TRUE((out.probabilities >= 0).all().item<bool>()) << label(method) << " " << head;
      EXPECT_TRUE(torch::allclose(out.probabilities.sum(1), torch::ones({4}), 1e-5, 1e-6))
          << label(method) << " " << head;
      EXPECT_TRUE(std::isfinite(out.loss.item<double>())) << label(method) << " " << head;
    }
}

TEST(Fusion, AnAbsentModalityCannotChangeAnything) {
  for (int seed : {1, 2, 3}) {
    torch::manual_seed(seed);
    for (const auto& method : every_method()) {
      auto fusion = make_fusion(method.name, method.options, {5, 7, 3}, {});
      fusion->eval();
      auto input = random_embeddings(4, {5, 7, 3});
      const auto before = fusion->forward(input, {});
      input.embeddings[1][0] = torch::full({7}, NAN);    // case 0 has no modality 1
      input.embeddings[0][2] = torch::randn({5}) * 100;  // case 2 has no modality 0
      const auto after = fusion->forward(input, {});
      EXPECT_TRUE(torch::equal(before.probabilities, after.probabilities)) << label(method) << " seed " << seed;
      if (before.modality_weights.defined()) {
        EXPECT_TRUE(torch::equal(before.modality_weights, after.modality_weights)) << label(method);
        EXPECT_EQ(after.modality_weights[0][1].item<float>(), 0.0f) << label(method);
        EXPECT_NEAR(after.modality_weights.sum(1)[0].item<float>(), 1.0f, 1e-5) << label(method);
      }
      input.embeddings[1][1] = input.embeddings[1][1] + 1;  // a present modality does matter
      EXPECT_FALSE(torch::equal(before.probabilities, fusion->forward(input, {}).probabilities)) << label(method);
    }
  }
}

TEST(Fusion, ACaseWithNoModalityStillGetsADistribution) {
  torch::manual_seed(5);
  for (const auto& method : every_method()) {
    auto fusion = make_fusion(method.name, method.options, {5, 7}, {});
    fusion->eval();
    auto input = random_embeddings(3, {5, 7});
    input.present[1] = torch::zeros({2}, torch::kBool);
    const auto p = fusion->forward(input, {}).probabilities;
    EXPECT_TRUE(torch::isfinite(p).all().item<bool>()) << label(method);
    EXPECT_NEAR(p[1].sum().item<float>(), 1.0f, 1e-5) << label(method);
  }
}

TEST(Fusion, GradientsReachEveryTrainableParameter) {
  torch::manual_seed(2);
  for (const auto& method : every_method())
    for (const char* head : {"softmax", "ordinal", "hierarchical"}) {
      HeadSpec spec;
      spec.kind = head;
      auto fusion = make_fusion(method.name, method.options, {5, 7}, spec);
      auto input = random_embeddings(6, {5, 7});
      fusion->forward(input, torch::tensor({0, 1, 2, 0, 1, 2})).loss.backward();
      for (const auto& p : fusion->named_parameters()) {
        if (!p.value().requires_grad()) continue;  // late/mean and late/stacking have fixed weights
        ASSERT_TRUE(p.value().grad().defined()) << label(method) << " " << head << " " << p.key();
        EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << label(method) << " " << head << " " << p.key();
      }
    }
}

TEST(Heads, FocalLossNeedsTheSoftmaxHeadAndBalancedWeightsFollowTheCounts) {
  EXPECT_THROW(head_spec_from({{"head", "ordinal"}, {"loss", "focal"}}, {0, 1, 2}), core::Error);
  const auto spec = head_spec_from({}, {0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2});
  ASSERT_EQ(spec.class_weights.size(), 3u);
  EXPECT_DOUBLE_EQ(spec.class_weights[0], 12.0 / (3 * 4));
  EXPECT_DOUBLE_EQ(spec.class_weights[1], 12.0 / (3 * 2));
  EXPECT_THROW(head_spec_from({{"class_weights", "1,2"}}, {0}), core::Error);
}

TEST(Heads, OrdinalAndHierarchicalProbabilitiesFollowTheirDefinitions) {
  HeadSpec hierarchical;
  hierarchical.kind = "hierarchical";
  Head head(2, hierarchical);
  // raw = logits of P(>= low) and P(positive | >= low).
  const auto raw = torch::tensor({{0.0f, 0.0f}, {2.0f, -1.0f}});
  const auto p = head->probabilities(raw);
  EXPECT_NEAR(p[0][0].item<float>(), 0.5f, 1e-6);
  EXPECT_NEAR(p[0][2].item<float>(), 0.25f, 1e-6);
  const float s = 1 / (1 + std::exp(-2.0f)), t = 1 / (1 + std::exp(1.0f));
  EXPECT_NEAR(p[1][1].item<float>(), s * (1 - t), 1e-6);
  HeadSpec ordinal;
  ordinal.kind = "ordinal";
  Head coral(2, ordinal);
  const auto q = coral->probabilities(torch::tensor({{1.0f, -1.0f}}));
  const float a = 1 / (1 + std::exp(-1.0f)), b = 1 / (1 + std::exp(1.0f));
  EXPECT_NEAR(q[0][0].item<float>(), 1 - a, 1e-6);
  EXPECT_NEAR(q[0][2].item<float>(), b, 1e-6);
}

TEST(MultimodalModel, RefusesInputsOfTheWrongShape) {
  MultimodalModel model(testing::toy_spec("early"));
  auto batch = testing::toy_batch(6, 1);
  EXPECT_NO_THROW(check_batch(model->spec(), batch));
  batch.inputs[0].values = torch::zeros({6, 5});
  try {
    check_batch(model->spec(), batch);
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'mri'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vbiopsy::fusion
