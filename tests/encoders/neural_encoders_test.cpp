#include "encoders/nn/encoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/error.h"
#include "encoders/nn/precomputed.h"

namespace vbiopsy::encoders {
namespace {

struct Case {
  std::string name;
  std::map<std::string, std::string> options;
  std::vector<int64_t> sample_shape;
  bool has_items;  // set-valued input with an item mask
};

// Small configurations of every built-in encoder, so each test covers them all.
std::vector<Case> every_encoder() {
  return {{"radiomics_mlp", {{"embedding", "8"}}, {12}, false},
          {"habitat", {{"embedding", "8"}}, {4, 6}, true},
          {"cnn2d", {{"embedding", "8"}, {"width", "4"}, {"stages", "2"}, {"groups", "2"}}, {2, 1, 16, 16}, true},
          {"cnn2d",
           {{"embedding", "8"}, {"width", "4"}, {"stages", "2"}, {"groups", "2"}, {"pooling", "attention"}},
           {2, 1, 16, 16},
           true},
          // width 16: the trunk in oneDNN's blocked layout (blocked_conv.h)
          {"cnn2d", {{"embedding", "8"}, {"width", "16"}, {"stages", "2"}, {"groups", "4"}}, {2, 1, 16, 16}, true},
          {"cnn3d", {{"embedding", "8"}, {"width", "4"}, {"stages", "2"}, {"groups", "2"}}, {2, 8, 8, 8}, false},
          {"vit2d", {{"embedding", "8"}, {"patch", "4"}, {"dim", "16"}, {"heads", "2"}}, {3, 2, 8, 8}, true},
          {"clinical", {{"embedding", "8"}}, {6}, false},
          {"precomputed", {{"project", "8"}}, {10}, false}};
}

EncoderInput random_input(const Case& c, int64_t n) {
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), c.sample_shape.begin(), c.sample_shape.end());
  EncoderInput input{torch::randn(shape), {}};
  if (c.has_items) {
    input.item_mask = torch::ones({n, c.sample_shape[0]}, torch::kBool);
    input.item_mask.index_put_({0, 0}, false);  // case 0 lacks its first item
  }
  return input;
}

TEST(EncoderRegistry, ListsEveryBuiltInEncoderAndNamesTheKnownOnesForAnUnknownName) {
  const auto names = builtin_encoders().names();
  for (const char* name : {"radiomics_mlp", "habitat", "cnn2d", "cnn3d", "vit2d", "clinical", "precomputed"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  try {
    make_encoder("resnet50", {}, {3});
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("radiomics_mlp"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_encoder("radiomics_mlp", {{"widht", "3"}}, {3}), core::Error);
  EXPECT_THROW(make_encoder("cnn2d", {}, {1, 16, 16}), core::Error);  // views dimension missing
  EXPECT_THROW(make_encoder("vit2d", {{"patch", "5"}}, {1, 1, 16, 16}), core::Error);
}

TEST(Encoders, EveryEncoderGivesOneEmbeddingPerCase) {
  torch::manual_seed(1);
  for (const auto& c : every_encoder()) {
    auto encoder = make_encoder(c.name, c.options, c.sample_shape);
    const auto out = encoder->forward(random_input(c, 3));
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{3, encoder->embedding_dim()})) << c.name;
    EXPECT_TRUE(torch::isfinite(out).all().item<bool>()) << c.name;
  }
}

TEST(Encoders, AnAbsentItemCannotChangeTheEmbedding) {
  for (int seed : {1, 2, 3}) {
    torch::manual_seed(seed);
    for (const auto& c : every_encoder()) {
      if (!c.has_items) continue;
      auto encoder = make_encoder(c.name, c.options, c.sample_shape);
      encoder->eval();
      auto input = random_input(c, 2);
      const auto before = encoder->forward(input);
      input.values[0][0] = torch::randn_like(input.values[0][0]) * 100;  // the absent item of case 0
      const auto after = encoder->forward(input);
      EXPECT_TRUE(torch::equal(before, after)) << c.name << " seed " << seed;
      input.values[0][1] = input.values[0][1] + 1;  // a present item does matter
      EXPECT_FALSE(torch::equal(before, encoder->forward(input))) << c.name;
    }
  }
}

TEST(Encoders, GradientsReachEveryParameter) {
  torch::manual_seed(4);
  for (const auto& c : every_encoder()) {
    auto encoder = make_encoder(c.name, c.options, c.sample_shape);
    auto input = random_input(c, 4);
    if (c.name == "clinical") input.values.index_put_({0, 1}, NAN);  // the learned missing value is used
    encoder->forward(input).pow(2).sum().backward();
    for (const auto& p : encoder->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << c.name << " " << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << c.name << " " << p.key();
    }
  }
}

TEST(ClinicalEncoder, TellsAMissingValueFromAZero) {
  torch::manual_seed(5);
  auto encoder = make_encoder("clinical", {}, {3});
  encoder->eval();
  const auto zero = encoder->forward({torch::tensor({{0.0f, 1.0f, 2.0f}}), {}});
  const auto missing = encoder->forward({torch::tensor({{NAN, 1.0f, 2.0f}}), {}});
  EXPECT_TRUE(torch::isfinite(missing).all().item<bool>());
  EXPECT_FALSE(torch::allclose(zero, missing));
}

TEST(PrecomputedEncoder, IsTheIdentityWithoutProjection) {
  auto encoder = make_encoder("precomputed", {}, {5});
  EXPECT_EQ(encoder->embedding_dim(), 5);
  EXPECT_EQ(encoder->parameters().size(), 0u);
  const auto x = torch::randn({2, 5});
  EXPECT_TRUE(torch::equal(encoder->forward({x, {}}), x));
}

TEST(PrecomputedEmbeddings, ReadsACsvAndNamesTheBadCell) {
  const auto dir = std::filesystem::temp_directory_path() / ("vbiopsy_precomputed_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "good.csv") << "case_id,f1,f2\nA,0.5,1\nB,-2,3e-1\n";
  const auto good = read_precomputed_embeddings(dir / "good.csv");
  EXPECT_EQ(good.columns, (std::vector<std::string>{"f1", "f2"}));
  EXPECT_FLOAT_EQ(good.by_case.at("B")[1], 0.3f);
  std::ofstream(dir / "bad.csv") << "case_id,f1,f2\nA,0.5,1\nB,nan,3\n";
  try {
    read_precomputed_embeddings(dir / "bad.csv");
    FAIL() << "no error";
  } catch (const core::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("bad.csv:3"), std::string::npos) << message;
    EXPECT_NE(message.find("'f1'"), std::string::npos) << message;
  }
  std::ofstream(dir / "twice.csv") << "case_id,f1\nA,1\nA,2\n";
  EXPECT_THROW(read_precomputed_embeddings(dir / "twice.csv"), core::Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vbiopsy::encoders
