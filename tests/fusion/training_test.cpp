#include "fusion/training.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/error.h"
#include "core/files.h"
#include "fusion/bundle.h"
#include "fusion/saliency.h"
#include "fusion/stacking.h"

#include <nlohmann/json.hpp>
#include "tests/fusion/toy_data.h"

namespace vbiopsy::fusion {
namespace {

using testing::accuracy;
using testing::toy_batch;
using testing::toy_spec;

TrainingOptions quick(uint64_t seed = 1) { return testing::quick_training(seed); }

MultimodalModel seeded_model(const ModelSpec& spec, uint64_t seed) {
  torch::manual_seed(seed);
  return MultimodalModel(spec);
}

std::filesystem::path temporary_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("vbiopsy_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(Training, EveryFusionMethodLearnsASeparableToySet) {
  const auto data = toy_batch(60, 7);
  for (const auto& [method, options] : std::vector<std::pair<std::string, std::map<std::string, std::string>>>{
           {"early", {}},
           {"late", {{"combine", "mean"}}},
           {"late", {{"combine", "weighted"}}},
           {"attention", {{"dim", "16"}, {"heads", "2"}, {"dropout", "0"}}},
           {"gated", {{"dim", "16"}, {"dropout", "0"}}}}) {
    auto model = seeded_model(toy_spec(method, options), 1);
    const auto result = train_model(model, data, nullptr, quick());
    ASSERT_EQ(result.history.size(), 30u);
    EXPECT_LT(result.history.back().train_loss, 0.5 * result.history.front().train_loss) << method;
    EXPECT_EQ(accuracy(predict(model, data).probabilities, data.targets), 1.0) << method;
  }
}

TEST(Training, EveryHeadAndLossLearnsTheToySet) {
  const auto data = toy_batch(60, 8);
  for (const char* head : {"ordinal", "hierarchical"}) {
    auto model = seeded_model(toy_spec("early", {}, head), 2);
    train_model(model, data, nullptr, quick());
    EXPECT_EQ(accuracy(predict(model, data).probabilities, data.targets), 1.0) << head;
  }
  auto spec = toy_spec("early");
  spec.head.loss = "focal";
  auto model = seeded_model(spec, 2);
  train_model(model, data, nullptr, quick());
  EXPECT_EQ(accuracy(predict(model, data).probabilities, data.targets), 1.0) << "focal";
}

TEST(Training, TwoStageTrainingLearnsTheToySet) {
  const auto data = toy_batch(60, 9);
  auto options = quick();
  options.mode = "two_stage";
  auto model = seeded_model(toy_spec("attention", {{"dim", "16"}, {"heads", "2"}, {"dropout", "0"}}), 3);
  const auto result = train_model(model, data, nullptr, options);
  EXPECT_EQ(result.history.size(), 3u * 30u);  // two encoders, then the fusion
  EXPECT_EQ(accuracy(predict(model, data).probabilities, data.targets), 1.0);
  for (const auto& p : model->parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(Training, TheSameSeedAndThreadsGiveBitIdenticalPredictions) {
  const auto data = toy_batch(45, 10);
  for (uint64_t seed : {1, 2, 3}) {
    auto options = quick(seed);
    options.epochs = 8;
    options.modality_dropout = 0.3;
    options.validation_fraction = 0.2;
    auto spec = toy_spec("attention", {{"dim", "16"}, {"heads", "2"}});  // with dropout
    auto first = seeded_model(spec, seed), second = seeded_model(spec, seed);
    train_model(first, data, nullptr, options);
    train_model(second, data, nullptr, options);
    EXPECT_TRUE(torch::equal(predict(first, data).probabilities, predict(second, data).probabilities)) << seed;
    auto third = seeded_model(spec, seed);
    options.seed = seed + 100;
    train_model(third, data, nullptr, options);
    EXPECT_FALSE(torch::equal(predict(first, data).probabilities, predict(third, data).probabilities)) << seed;
  }
}

TEST(Training, AKilledRunResumesFromItsCheckpointToTheSameResult) {
  const auto data = toy_batch(45, 11);
  for (const std::string mode : {"end_to_end", "two_stage"}) {
    auto options = quick(4);
    options.epochs = 8;
    options.mode = mode;
    options.validation_fraction = 0.25;
    options.patience = 100;
    const auto spec = toy_spec("gated", {{"dim", "16"}});
    auto straight = seeded_model(spec, 4);
    options.checkpoint_dir = temporary_dir("straight");
    train_model(straight, data, nullptr, options);

    options.checkpoint_dir = temporary_dir("killed");
    int epochs_seen = 0;
    options.on_epoch = [&](const EpochReport&) { return ++epochs_seen < 3; };  // killed after 3 epochs
    auto killed = seeded_model(spec, 4);
    EXPECT_FALSE(train_model(killed, data, nullptr, options).completed);
    options.on_epoch = nullptr;
    auto resumed = seeded_model(spec, 99);  // a fresh process: other initial weights, all restored
    const auto result = train_model(resumed, data, nullptr, options);
    EXPECT_TRUE(result.completed);
    EXPECT_TRUE(torch::equal(predict(straight, data).probabilities, predict(resumed, data).probabilities)) << mode;

    options.epochs = 9;  // other settings: the checkpoint must not be reused silently
    auto other = seeded_model(spec, 4);
    EXPECT_THROW(train_model(other, data, nullptr, options), core::Error);
    std::filesystem::remove_all(temporary_dir("straight"));
    std::filesystem::remove_all(options.checkpoint_dir);
  }
}

TEST(Training, EarlyStoppingKeepsTheBestValidationEpoch) {
  const auto data = toy_batch(60, 12);
  auto options = quick(5);
  options.epochs = 20;
  options.patience = 3;
  options.validation_fraction = 0.25;
  auto model = seeded_model(toy_spec("early"), 5);
  const auto result = train_model(model, data, nullptr, options);
  ASSERT_GE(result.best_epoch, 0);
  double best = 0;
  for (const auto& e : result.history) best = std::max(best, e.validation_auc);
  EXPECT_DOUBLE_EQ(result.best_validation_auc, best);
  EXPECT_LE(static_cast<int64_t>(result.history.size()), std::min<int64_t>(20, result.best_epoch + 1 + 3));
}

TEST(Training, RejectsBadOptions) {
  EXPECT_THROW(training_options_from({{"epochs", "0"}}), core::Error);
  EXPECT_THROW(training_options_from({{"mode", "joint"}}), core::Error);
  EXPECT_THROW(training_options_from({{"modality_dropout", "1"}}), core::Error);
  EXPECT_THROW(training_options_from({{"epoch", "3"}}), core::Error);
}

TEST(Augmentation, IsSeededPerCaseAndEpochAndKeepsTheShape) {
  const auto images = torch::rand({3, 2, 1, 12, 12});
  const auto a = augment_images(images, 2, 7, 0, {0, 1, 2});
  EXPECT_EQ(a.sizes(), images.sizes());
  EXPECT_TRUE(torch::equal(a, augment_images(images, 2, 7, 0, {0, 1, 2})));
  EXPECT_FALSE(torch::equal(a, augment_images(images, 2, 7, 1, {0, 1, 2})));
  // A case's transform depends on its id, not on its position in the batch.
  const auto alone = augment_images(images.slice(0, 1, 2), 2, 7, 0, {1});
  EXPECT_TRUE(torch::allclose(alone[0], a[1]));
  const auto volumes = torch::rand({2, 2, 6, 8, 8});
  EXPECT_EQ(augment_images(volumes, 3, 7, 0, {0, 1}).sizes(), volumes.sizes());
}

TEST(Training, Cnn2dLearnsImagesWithAugmentation) {
  // Three classes of noisy 16x16 crops by pattern, which flips and rotations keep (GroupNorm makes
  // the network blind to a global intensity level): plain noise, a bright central disc, stripes.
  torch::manual_seed(6);
  const int64_t n = 30;
  auto images = torch::randn({n, 2, 1, 16, 16}) * 0.3;
  auto targets = torch::arange(n, torch::kInt64) % 3;
  const auto grid = torch::arange(16, torch::kFloat) - 7.5f;
  const auto disc = ((grid.view({16, 1}).pow(2) + grid.view({1, 16}).pow(2)) < 16).to(torch::kFloat) * 2;
  const auto stripes =
      (torch::arange(16, torch::kInt64).remainder(4) < 2).to(torch::kFloat).view({16, 1}).expand({16, 16}) * 2;
  for (int64_t i = 0; i < n; ++i)
    if (targets[i].item<int64_t>() > 0) images[i] += targets[i].item<int64_t>() == 1 ? disc : stripes;
  auto views = torch::ones({n, 2}, torch::kBool);
  views.index_put_({torch::indexing::Slice(0, n, 2), 1}, false);
  Batch data{{{images, views}}, torch::ones({n, 1}, torch::kBool), targets};
  ModelSpec spec;
  spec.modalities = {
      {"mg", "cnn2d", {{"width", "4"}, {"stages", "2"}, {"groups", "2"}, {"embedding", "8"}}, {2, 1, 16, 16}}};
  spec.fusion = "early";
  auto model = seeded_model(spec, 6);
  auto options = quick(6);
  options.epochs = 25;
  options.batch_size = 10;
  train_model(model, data, nullptr, options);
  EXPECT_EQ(accuracy(predict(model, data).probabilities, targets), 1.0);
}

// The saliency of an image encoder finds a planted lesion: the class is the brightness of a disc at
// a random place in noise, so a model that learned it must look at the disc for its answer. The disc
// covers 8% of the image; the maps put 40-46% of their mass on it (seeds 1-3, both encoders), so the
// test asks for at least 30%, nearly four times what a map blind to the disc would give.
TEST(Saliency, ConcentratesOnThePlantedLesion) {
  auto make = [](int64_t n, uint64_t seed, std::vector<torch::Tensor>* discs) {
    torch::manual_seed(seed);
    auto images = torch::randn({n, 1, 1, 32, 32}) * 0.5;
    const auto targets = torch::arange(n, torch::kInt64) % 3;
    const auto grid = torch::arange(32, torch::kFloat);
    for (int64_t i = 0; i < n; ++i) {
      const auto centre = torch::randint(9, 23, {2});
      const auto disc =
          ((grid.view({32, 1}) - centre[0]).pow(2) + (grid.view({1, 32}) - centre[1]).pow(2) <= 25).to(torch::kFloat);
      images[i][0][0] += disc * 1.5 * static_cast<double>(targets[i].item<int64_t>());
      if (discs) discs->push_back(disc);
    }
    return Batch{{{images, {}}}, torch::ones({n, 1}, torch::kBool), targets};
  };
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> encoders{
      {"cnn2d", {{"width", "8"}, {"stages", "2"}, {"groups", "4"}, {"embedding", "8"}}},
      {"vit2d", {{"patch", "4"}, {"dim", "16"}, {"heads", "2"}, {"depth", "2"}, {"embedding", "8"}, {"dropout", "0"}}}};
  for (const auto& [encoder, options] : encoders)
    for (uint64_t seed : {1, 2, 3}) {
      ModelSpec spec;
      spec.modalities = {{"us", encoder, options, {1, 1, 32, 32}}};
      spec.fusion = "early";
      auto model = seeded_model(spec, seed);
      auto training = quick(seed);
      training.epochs = 30;
      training.augment = false;
      train_model(model, make(150, seed, nullptr), nullptr, training);
      std::vector<torch::Tensor> discs;
      const auto test = make(30, seed + 100, &discs);
      ASSERT_GT(accuracy(predict(model, test).probabilities, test.targets), 0.8) << encoder << " seed " << seed;
      double inside = 0;
      int explained = 0;
      for (int64_t i = 0; i < 30; ++i) {
        if (test.targets[i].item<int64_t>() != 2) continue;
        const auto one = Batch{{{test.inputs[0].values.slice(0, i, i + 1), {}}}, test.present.slice(0, i, i + 1), {}};
        const auto maps = case_saliency(model, one, 2);
        ASSERT_EQ(maps.size(), 1u);
        ASSERT_EQ(maps[0].map.sizes(), (std::vector<int64_t>{1, 32, 32}));
        EXPECT_NEAR(maps[0].map.max().item<double>(), 1.0, 1e-6);
        inside += (maps[0].map[0] * discs[i]).sum().item<double>() / maps[0].map.sum().item<double>();
        ++explained;
      }
      EXPECT_GT(inside / explained, 0.3) << encoder << " seed " << seed;
    }
}

TEST(Bundle, RoundTripGivesIdenticalPredictions) {
  const auto data = toy_batch(30, 13);
  auto model = seeded_model(toy_spec("attention", {{"dim", "16"}, {"heads", "2"}}), 7);
  auto options = quick(7);
  options.epochs = 5;
  train_model(model, data, nullptr, options);
  const auto path = temporary_dir("bundle") / "model.vbm";
  save_bundle(path, model, {{"preprocessing", {{"mean", {1.0, 2.0}}}}, {"selected_features", {"a", "b"}}});
  const auto loaded = load_bundle(path);
  EXPECT_TRUE(torch::equal(predict(model, data).probabilities,
                           predict(const_cast<MultimodalModel&>(loaded.model), data).probabilities));
  EXPECT_EQ(loaded.metadata.at("selected_features")[1], "b");
  EXPECT_EQ(loaded.metadata.at("label_map")[2], "positive");
  // Data made for other inputs is refused with the modality named.
  auto other = data;
  other.inputs[0].values = torch::zeros({30, 7});
  try {
    check_bundle_inputs(path, loaded.model->spec(), {"mri", "clinical"}, other);
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'mri'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_bundle_inputs(path, loaded.model->spec(), {"mri", "us"}, data), core::Error);
  std::filesystem::remove_all(path.parent_path());
}

TEST(Bundle, TheSameModelGivesTheSameBytesWhateverTheFileName) {
  // A bundle's checksum goes into bundle.json and the run record: it must not depend on the name
  // (or the temporary name) the archive was written under.
  auto model = seeded_model(toy_spec("early"), 3);
  const auto dir = temporary_dir("bundle_bytes");
  save_bundle(dir / "a.vbm", model, {{"note", "x"}});
  save_bundle(dir / "sub" / "other_name.pt", model, {{"note", "x"}});
  const std::string a = core::read_text_file(dir / "a.vbm"), b = core::read_text_file(dir / "sub" / "other_name.pt");
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  std::filesystem::remove_all(dir);
}

TEST(Bundle, RefusesWeightsWhoseShapesDoNotMatchItsSpec) {
  const auto dir = temporary_dir("bundle_mismatch");
  auto big = seeded_model(toy_spec("early", {{"hidden", "32"}}), 8);
  save_bundle(dir / "big.vbm", big, {});
  // Rewrite the bundle with the weights of a model of another width under the first spec.
  auto small = seeded_model(toy_spec("early", {{"hidden", "16"}}), 8);
  torch::serialize::InputArchive original;
  original.load_from((dir / "big.vbm").string());
  c10::IValue metadata;
  original.read("metadata", metadata);
  torch::serialize::OutputArchive tampered, weights;
  tampered.write("metadata", metadata);
  for (const auto& p : small->named_parameters()) weights.write(p.key(), p.value());
  for (const auto& b : small->named_buffers()) weights.write(b.key(), b.value(), true);
  tampered.write("weights", weights);
  tampered.save_to((dir / "tampered.vbm").string());
  try {
    load_bundle(dir / "tampered.vbm");
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("has shape"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "garbage.vbm") << "not a bundle";
  EXPECT_THROW(load_bundle(dir / "garbage.vbm"), core::Error);
  EXPECT_THROW(load_bundle(dir / "absent.vbm"), core::Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vbiopsy::fusion

namespace vbiopsy::fusion {
namespace {

TEST(Stacking, LateHeadsCombinedByALogisticOrXGBoostMetaLearnerLearnTheToySet) {
  const auto data = testing::toy_batch(60, 14);
  for (const char* learner : {"logistic", "xgboost"}) {
    StackedLateModel stacked;
    TrainingOptions options;
    options.epochs = 20;
    options.batch_size = 16;
    options.learning_rate = 0.01;
    options.validation_fraction = 0;
    stacked.fit(testing::toy_spec("late", {{"combine", "stacking"}}), data, options, {3, learner, {}});
    EXPECT_GE(testing::accuracy(stacked.predict(data), data.targets), 0.95) << learner;
    // The meta-learner travels in a bundle's metadata.
    StackedLateModel copy;
    copy.load_meta(stacked.model(), nlohmann::json::parse(stacked.save_meta().dump()));
    EXPECT_TRUE(torch::equal(copy.predict(data), stacked.predict(data))) << learner;
  }
  StackedLateModel wrong;
  EXPECT_THROW(wrong.fit(testing::toy_spec("early"), data, {}, {}), core::Error);
}

}  // namespace
}  // namespace vbiopsy::fusion
