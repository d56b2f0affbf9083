#include "experiments/image_inputs.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/random.h"
#include "datasets/manifest.h"
#include "encoders/nn/image_layouts.h"
#include "experiments/config.h"
#include "experiments/feature_table.h"
#include "experiments/fitted_model.h"
#include "experiments/predict.h"
#include "experiments/runner.h"
#include "small_cohort.h"

namespace vbiopsy::experiments {
namespace {

// Small image encoders on small crops: the point is the plumbing, not the accuracy.
constexpr const char* kImageExperiment = R"([cohort]
manifest = cohort/manifest.csv
[experiment]
modalities = mri,mg,clinical
subsets = mri;mg;mri+mg+clinical
fusion = early
folds = 3
seed = 4
bootstrap = 50
export = early[clinical+mg+mri:cnn3d], early[clinical+mg+mri:vit2d]
[encoder.mri]
name = cnn3d, vit2d
embedding = 8
[encoder.mri.cnn3d]
width = 4
stages = 2
groups = 2
[encoder.mri.vit2d]
patch = 4
dim = 16
heads = 2
depth = 1
[images.mri]
size = 16
depth = 4
channels = dce0, sub1, sub2
[encoder.mg]
name = cnn2d
width = 4
stages = 2
groups = 2
embedding = 8
[images.mg]
size = 32
[training]
epochs = 3
batch_size = 8
validation_fraction = 0
)";

// The grid crosses modality subsets with the encoder axis, runs without any feature table, and the
// exported image model predicts a case folder exactly as the fitted model predicts its crops.
TEST(ImageEncoders, RunTheEncoderAxisFromCropsAndPredictACaseFolderAsFitted) {
  const SyntheticCohortDir synthetic("image_encoders", 30, 8);
  const auto& dir = synthetic.dir;
  core::write_file_atomic(dir / "experiment.ini", kImageExperiment);
  const auto config = read_experiment_config(dir / "experiment.ini");
  std::ostringstream log;
  const auto summary = run_experiment(config, dir / "run", log);
  EXPECT_EQ(summary.cells, 5u) << log.str();

  const auto predictions = core::read_csv(dir / "run" / "predictions.csv");
  std::map<std::string, size_t> rows_of;
  for (const auto& row : predictions.rows) ++rows_of[row[*predictions.column("model")]];
  const std::set<std::string> expected{"early[mri:cnn3d]", "early[mri:vit2d]", "early[mg]",
                                       "early[clinical+mg+mri:cnn3d]", "early[clinical+mg+mri:vit2d]"};
  ASSERT_EQ(rows_of.size(), expected.size());
  for (const auto& [model, rows] : rows_of) {
    EXPECT_TRUE(expected.count(model)) << model;
    EXPECT_EQ(rows, summary.cases) << model;
  }
  const auto record = nlohmann::json::parse(core::read_text_file(dir / "run" / "run.json"));
  EXPECT_TRUE(record.at("cases_without_crops").empty()) << record.at("cases_without_crops").dump();
  EXPECT_NE(log.str().find("crops for mri (cnn3d): "), std::string::npos) << log.str();

  // The bundle records how its crops are made.
  const auto bundle_dir = dir / "run" / "models" / "early_clinical_mg_mri_cnn3d";
  nlohmann::json run;
  auto model = FittedModel::load(bundle_dir, &run);
  ASSERT_EQ(model.subset(), (std::vector<std::string>{"mri", "mg", "clinical"}));
  ASSERT_TRUE(model.image_inputs()[0] && model.image_inputs()[1]);
  EXPECT_FALSE(model.image_inputs()[2]);
  EXPECT_EQ(model.image_inputs()[0]->encoder, "cnn3d");
  EXPECT_EQ(model.sample_shape(0), (std::vector<int64_t>{3, 4, 16, 16}));
  EXPECT_EQ(model.sample_shape(1), (std::vector<int64_t>{2, 1, 32, 32}));

  // The cohort's own crops through the loaded bundle = predict from the case folder's images.
  const auto cohort = datasets::read_cohort(config.manifest).cohort;
  auto table = build_feature_table(cohort, case_id_table(cohort), model.subset(), {}, true, {"mri", "mg"});
  for (const auto& spec : model.image_inputs())
    if (spec) add_image_block(table, image_block_of(cohort, table.case_ids, *spec, 2));
  model.bind(table);
  size_t checked = 0;
  for (size_t i = 0; i < table.size() && checked < 2; ++i) {
    if (!table.block("mri").present[i] || !table.block("mg").present[i]) continue;
    std::ostringstream quiet;
    const auto prediction = predict_case(
        {bundle_dir, dir / "cohort" / "cases" / table.case_ids[i], "", "", dir / ("p" + std::to_string(i)), 1, {}},
        quiet);
    // One case at a time on both sides: convolution kernels round differently for other batch sizes.
    const auto in_process = model.predict(table, {i});
    EXPECT_NEAR(prediction.at("probabilities").at("zero").get<double>(), in_process.probabilities(0, 0), 1e-12);
    EXPECT_NEAR(prediction.at("probabilities").at("positive").get<double>(), in_process.probabilities(0, 2), 1e-12);
    EXPECT_TRUE(prediction.at("modalities_present").at("mri").get<bool>());
    EXPECT_TRUE(prediction.at("contributions").at("mg").at("change").is_number());
    // Where the encoders looked: gradient x input over the MRI volume and each mammography view, drawn on
    // the images (files beside the plain pictures).
    std::map<std::string, int> saliency;
    for (const auto& image : prediction.at("images"))
      if (image.at("saliency").is_string()) {
        ++saliency[image.at("modality").get<std::string>() + " " + image.at("saliency").get<std::string>()];
        EXPECT_TRUE(fs::exists(dir / ("p" + std::to_string(i)) / image.at("file").get<std::string>()));
      }
    EXPECT_EQ(saliency["mri gradient x input"], 1) << prediction.at("images").dump();
    EXPECT_EQ(saliency["mg gradient x input"], static_cast<int>(cohort.cases[i].mammography->views.size()))
        << prediction.at("images").dump();
    for (const auto& map : model.saliency(table, i, 1)) {
      EXPECT_EQ(map.method, "gradient x input");
      EXPECT_EQ(map.shape,
                map.spec.modality == "mri" ? (std::vector<int64_t>{1, 4, 16, 16}) : (std::vector<int64_t>{2, 32, 32}));
      EXPECT_LE(*std::max_element(map.values.begin(), map.values.end()), 1.0f + 1e-6f);
      EXPECT_GE(*std::min_element(map.values.begin(), map.values.end()), 0.0f);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 2u);

  // The ViT's attention rollout: one map per slice of the crop, the class token's view of the patches.
  auto vit = FittedModel::load(dir / "run" / "models" / "early_clinical_mg_mri_vit2d");
  auto slices = build_feature_table(cohort, case_id_table(cohort), vit.subset(), {}, true, {"mri", "mg"});
  for (const auto& spec : vit.image_inputs())
    if (spec) add_image_block(slices, image_block_of(cohort, slices.case_ids, *spec, 2));
  vit.bind(slices);
  for (size_t i = 0; i < slices.size(); ++i) {
    if (!slices.block("mri").present[i]) continue;
    const auto maps = vit.saliency(slices, i, 0);
    ASSERT_FALSE(maps.empty());
    EXPECT_EQ(maps[0].method, "attention rollout");
    EXPECT_EQ(maps[0].shape, (std::vector<int64_t>{4, 16, 16}));
    EXPECT_NEAR(*std::max_element(maps[0].values.begin(), maps[0].values.end()), 1.0f, 1e-5);
    break;
  }
}

// A case's crop depends on its own images only: cropping it among others or alone gives the same
// values (nothing is fitted across cases, so nothing can leak between folds).
TEST(ImageEncoders, ACaseCropDependsOnItsOwnImagesOnly) {
  const SyntheticCohortDir synthetic("crop_alone", 6, 9);
  const auto cohort = datasets::read_cohort(synthetic.dir / "cohort" / "manifest.csv").cohort;
  std::vector<std::string> ids;
  for (const auto& c : cohort.cases) ids.push_back(c.case_id);
  for (const std::string encoder : {"cnn3d", "vit2d"}) {
    const auto spec =
        ImageInputSpec::from("mri", encoder, encoders::image_layout(encoder, "mri"), {{"size", "16"}, {"depth", "4"}});
    const auto together = image_block_of(cohort, ids, spec, 2);
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto alone = image_block_of(cohort, {ids[i]}, spec, 1);
      ASSERT_EQ(alone.present[0], together.present[i]);
      const size_t n = together.sample_size();
      EXPECT_TRUE(std::equal(alone.values.begin(), alone.values.end(),
                             together.values.begin() + static_cast<std::ptrdiff_t>(i * n)))
          << ids[i];
    }
  }
}

TEST(ImageEncoders, MisconfigurationsAreRefusedWithTheReason) {
  const SyntheticCohortDir synthetic("image_errors", 6, 10);
  const auto& dir = synthetic.dir;
  auto config_with = [&](const std::string& text) {
    core::write_file_atomic(dir / "bad.ini", "[cohort]\nmanifest = cohort/manifest.csv\n" + text);
    return dir / "bad.ini";
  };
  // A modality that reads feature columns needs a features table.
  EXPECT_NE(error_of([&] {
              read_experiment_config(config_with("[experiment]\nmodalities = mri\n"));
            }).find("reads feature columns"),
            std::string::npos);
  // An encoder that cannot read a modality's images: what it reads comes from its registration.
  EXPECT_NE(error_of([&] {
              encoders::image_layout("cnn3d", "mg");
            }).find("cannot read the images of modality 'mg'; it reads the images of mri (volume)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { encoders::image_layout("radiomics_mlp", "mg"); }).find("it reads feature vectors only"),
            std::string::npos);
  EXPECT_EQ(encoders::image_layout("cnn2d", "us"), modalities::CropLayout::kFrames);
  EXPECT_EQ(encoders::image_layout("vit2d", "mri"), modalities::CropLayout::kSlices);
  EXPECT_NE(error_of([&] {
              ImageInputSpec::from("mg", "cnn3d", modalities::CropLayout::kVolume, {});
            }).find("volume are crops of mri, not of mg"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              ImageInputSpec::from("mri", "cnn3d", modalities::CropLayout::kVolume, {{"colour", "1"}});
            }).find("[images.mri] has no option 'colour'"),
            std::string::npos);
}

// A classical learner on an image modality reads deep features: the embedding of the image encoder
// trained on the model's training cases. A held-out case's images never shape that encoder, and
// the bundle reproduces the fit exactly.
TEST(ImageEncoders, ClassicalLearnersReadDeepFeaturesFittedOnTrainingCasesOnly) {
  const SyntheticCohortDir synthetic("deep_features", 24, 12);
  const auto& dir = synthetic.dir;
  core::write_file_atomic(dir / "experiment.ini", R"([cohort]
manifest = cohort/manifest.csv
[experiment]
modalities = mg,clinical
subsets = mg;mg+clinical
fusion = logistic
folds = 3
seed = 3
bootstrap = 20
export = logistic[clinical+mg]
[encoder.mg]
name = cnn2d
width = 4
stages = 2
groups = 2
embedding = 4
[images.mg]
size = 16
[training]
epochs = 2
batch_size = 8
validation_fraction = 0
)");
  const auto config = read_experiment_config(dir / "experiment.ini");
  std::ostringstream log;
  const auto summary = run_experiment(config, dir / "run", log);
  EXPECT_EQ(summary.cells, 2u);

  const auto cohort = datasets::read_cohort(config.manifest).cohort;
  auto table = build_feature_table(cohort, case_id_table(cohort), {"mg", "clinical"}, {}, true, {"mg"});
  const auto spec = ImageInputSpec::from("mg", "cnn2d", modalities::CropLayout::kViews, config.image_options.at("mg"));
  add_image_block(table, image_block_of(cohort, table.case_ids, spec, 2));
  std::vector<size_t> train, all(table.size());
  std::iota(all.begin(), all.end(), 0);
  size_t held_out = table.size();
  for (size_t i = 0; i < table.size(); ++i)
    if (held_out == table.size() && table.block("mg").present[i])
      held_out = i;
    else
      train.push_back(i);
  // The held-out case's crop replaced by noise: the fit on the other cases does not move.
  auto distorted = table;
  ImageBlock noisy = *table.images[0];
  for (size_t k = 0; k < noisy.sample_size(); ++k)
    noisy.values[held_out * noisy.sample_size() + k] = static_cast<float>((k * 7919) % 13) - 6.0f;
  distorted.images = {std::make_shared<const ImageBlock>(noisy)};
  const auto a = FittedModel::fit(config, table, table.labels, "logistic", {"mg", "clinical"}, train, 7);
  const auto b = FittedModel::fit(config, distorted, table.labels, "logistic", {"mg", "clinical"}, train, 7);
  EXPECT_EQ((a.predict(table, train).probabilities - b.predict(table, train).probabilities).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_GT((a.predict(table, {held_out}).probabilities - a.predict(distorted, {held_out}).probabilities)
                .cwiseAbs()
                .maxCoeff(),
            0.0);

  // Two cells of one fold share the encoder they both read (trained once), and sharing changes nothing.
  EncoderCache cache;
  const auto shared = FittedModel::fit(config, table, table.labels, "logistic", {"mg"}, train, 7, {}, &cache);
  FittedModel::fit(config, table, table.labels, "logistic", {"mg", "clinical"}, train, 7, {}, &cache);
  EXPECT_EQ(cache.size(), 1u);
  const auto alone = FittedModel::fit(config, table, table.labels, "logistic", {"mg"}, train, 7);
  EXPECT_EQ((shared.predict(table, all).probabilities - alone.predict(table, all).probabilities).cwiseAbs().maxCoeff(),
            0.0);

  // The exported bundle (network file + standardisation) predicts as the same fit in this process.
  auto loaded = FittedModel::load(dir / "run" / "models" / "logistic_clinical_mg");
  loaded.bind(table);
  const auto refit = FittedModel::fit(config, table, table.labels, "logistic", {"mg", "clinical"}, all,
                                      core::derive_seed(config.seed, {23}));
  EXPECT_LT((loaded.predict(table, all).probabilities - refit.predict(table, all).probabilities).cwiseAbs().maxCoeff(),
            1e-12);
}

}  // namespace
}  // namespace vbiopsy::experiments
