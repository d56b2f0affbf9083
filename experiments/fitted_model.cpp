#include "experiments/fitted_model.h"

#include <torch/types.h>

#include <algorithm>

#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/random.h"
#include "experiments/bundle_file.h"
#include "experiments/statistics/metrics.h"
#include "fusion/bundle.h"
#include "fusion/saliency.h"
#include "fusion/learners/classifier.h"
#include "fusion/methods.h"
#include "fusion/stacking.h"
#include "fusion/submodels.h"
#include "fusion/training.h"
#include "encoders/nn/image_layouts.h"

namespace vbiopsy::experiments {

namespace {

torch::Tensor to_tensor(const Eigen::MatrixXd& m) {
  auto t = torch::empty({m.rows(), m.cols()}, torch::kFloat);
  auto a = t.accessor<float, 2>();
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) a[i][j] = static_cast<float>(m(i, j));
  return t;
}

Eigen::MatrixXd to_matrix(const torch::Tensor& t) {
  const auto d = t.to(torch::kDouble).contiguous();
  auto a = d.accessor<double, 2>();
  Eigen::MatrixXd m(d.size(0), d.size(1));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) m(i, j) = a[i][j];
  return m;
}

// The clinical block is a handful of known variables: never filtered or selected.
Selection selection_for(const ExperimentConfig& config, const std::string& modality) {
  if (modality == "clinical") return {0, "anova", 0, config.lasso_lambda, 0};
  return {config.max_features, config.selection, config.correlation, config.lasso_lambda, config.icc};
}

OptionMap options_of(const std::map<std::string, OptionMap>& all, const std::string& key) {
  const auto it = all.find(key);
  return it == all.end() ? OptionMap{} : it->second;
}

// The table's crops for an image modality; throws when the table has none for that encoder.
const ImageBlock& crops_of(const FeatureTable& table, const ImageInputSpec& spec) {
  const auto* image = table.image_block(spec.modality, spec.encoder);
  if (!image)
    core::fail("modality '", spec.modality, "' uses image encoder '", spec.encoder,
               "' but the table holds no crops for it");
  if (!(image->spec == spec))
    core::fail("modality '", spec.modality, "': the crops were made with other settings (",
               image->spec.to_json().dump(), ") than the model's (", spec.to_json().dump(), ")");
  return *image;
}

// [rows, sample shape...] crops, with the [rows, items] mask when the input is a set.
encoders::EncoderInput image_input(const ImageBlock& image, const std::vector<size_t>& rows) {
  std::vector<int64_t> shape{static_cast<int64_t>(rows.size())};
  shape.insert(shape.end(), image.sample_shape.begin(), image.sample_shape.end());
  auto values = torch::empty(shape, torch::kFloat);
  const size_t size = image.sample_size();
  float* out = values.data_ptr<float>();
  for (size_t i = 0; i < rows.size(); ++i) std::copy_n(image.values.data() + rows[i] * size, size, out + i * size);
  torch::Tensor items;
  if (image.item_count > 0) {
    items = torch::empty({static_cast<int64_t>(rows.size()), image.item_count}, torch::kBool);
    auto a = items.accessor<bool, 2>();
    for (size_t i = 0; i < rows.size(); ++i)
      for (int64_t k = 0; k < image.item_count; ++k)
        a[static_cast<int64_t>(i)][k] =
            image.items[rows[i] * static_cast<size_t>(image.item_count) + static_cast<size_t>(k)] != 0;
  }
  return {values, items};
}

fusion::Batch network_inputs(const std::vector<BlockPreprocessor>& preprocessors,
                             const std::vector<std::optional<ImageInputSpec>>& images,
                             const std::vector<std::string>& subset, const FeatureTable& table,
                             const std::vector<size_t>& rows) {
  fusion::Batch batch;
  batch.present = torch::zeros({static_cast<int64_t>(rows.size()), static_cast<int64_t>(subset.size())}, torch::kBool);
  auto present = batch.present.accessor<bool, 2>();
  for (size_t m = 0; m < subset.size(); ++m) {
    const auto& block = table.block(subset[m]);
    const ImageBlock* crops = images[m] ? &crops_of(table, *images[m]) : nullptr;
    batch.inputs.push_back(
        crops ? image_input(*crops, rows)
              : encoders::EncoderInput{to_tensor(preprocessors[m].apply(block, rows, &table.sites)), {}});
    for (size_t i = 0; i < rows.size(); ++i)
      present[static_cast<int64_t>(i)][static_cast<int64_t>(m)] =
          block.present[rows[i]] && (!crops || crops->present[rows[i]]);
  }
  return batch;
}

// Exact distributions for the statistics (float rounding leaves sums of 1 +- 1e-7).
Eigen::MatrixXd normalised(Eigen::MatrixXd p) {
  // A model whose parameters overflow (e.g. an edited bundle's huge coefficients) gives NaN or
  // infinite scores: refused, never reported as a probability.
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    const double total = p.row(i).sum();
    if (!p.row(i).allFinite() || !(total > 0) || (p.row(i).array() < 0).any())
      core::fail("the model gives no valid probabilities for a case (scores ", p.row(i),
                 "): its parameters are broken");
    p.row(i) /= total;
  }
  return p;
}

// A classical learner sees the early concatenation of the blocks plus one presence flag each.
Eigen::MatrixXd classical_inputs(const FittedModel& model, const FeatureTable& table, const std::vector<size_t>& rows) {
  std::vector<Eigen::MatrixXd> parts;
  Eigen::Index columns = 0;
  for (size_t m = 0; m < model.subset().size(); ++m) {
    parts.push_back(model.block_values(m, table, rows));
    const auto present = model.block_present(m, table, rows);
    Eigen::MatrixXd flag(static_cast<Eigen::Index>(rows.size()), 1);
    for (size_t i = 0; i < rows.size(); ++i) flag(static_cast<Eigen::Index>(i), 0) = present[i];
    parts.push_back(flag);
    columns += parts[parts.size() - 2].cols() + 1;
  }
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), columns);
  Eigen::Index at = 0;
  for (const auto& p : parts) {
    out.middleCols(at, p.cols()) = p;
    at += p.cols();
  }
  return out;
}

// The submodels see each block on its own, with its presence.
std::pair<std::vector<Eigen::MatrixXd>, std::vector<std::vector<bool>>> submodel_inputs(
    const FittedModel& model, const FeatureTable& table, const std::vector<size_t>& rows) {
  std::vector<Eigen::MatrixXd> blocks;
  std::vector<std::vector<bool>> present;
  for (size_t m = 0; m < model.subset().size(); ++m) {
    blocks.push_back(model.block_values(m, table, rows));
    present.push_back(model.block_present(m, table, rows));
  }
  return {std::move(blocks), std::move(present)};
}

// The embedding of one image modality for the rows, in evaluation mode, 64 cases at a time.
Eigen::MatrixXd embeddings_of(fusion::MultimodalModelImpl& network, const ImageBlock& crops,
                              const std::vector<size_t>& rows) {
  network.eval();
  torch::NoGradGuard no_grad;
  Eigen::MatrixXd out;
  for (size_t from = 0; from < rows.size(); from += 64) {
    const std::vector<size_t> chunk(rows.begin() + static_cast<std::ptrdiff_t>(from),
                                    rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), from + 64)));
    fusion::Batch batch;
    batch.inputs = {image_input(crops, chunk)};
    batch.present = torch::ones({static_cast<int64_t>(chunk.size()), 1}, torch::kBool);
    const auto e = to_matrix(network.embed(batch).at(0));
    if (out.size() == 0) out.resize(static_cast<Eigen::Index>(rows.size()), e.cols());
    out.middleRows(static_cast<Eigen::Index>(from), e.rows()) = e;
  }
  return out;
}

}  // namespace

bool is_classical_method(const std::string& method) {
  const auto* known = fusion::find_grid_method(method);
  return known && known->kind != fusion::MethodKind::kNetwork;
}

// An image encoder trained (with its own head) on a classical model's training cases; the learner
// reads its standardised embedding. The embedding of the training cases is in-sample for the
// encoder: a meta-learner's inner folds see optimistic submodel inputs (never test cases).
struct DeepFeatures {
  std::shared_ptr<fusion::MultimodalModelImpl> network;
  Eigen::RowVectorXd mean, scale;
};

namespace {

// One modality's encoder trained with its own head (the early fusion of that modality alone) on the
// training cases that have it, from a seed of its own: the same network whichever cell asks, so
// that the cells of a fold share it through the cache. Serves the deep features of classical
// learners and stage 1 of two-stage training.
std::shared_ptr<fusion::MultimodalModelImpl> modality_network(
    const ExperimentConfig& config, const std::string& modality, const std::string& encoder,
    const encoders::EncoderInput& input, const std::vector<int64_t>& sample_shape, const std::vector<size_t>& with,
    const std::vector<int>& labels, uint64_t fold_seed, const std::string& input_key, EncoderCache* cache) {
  const uint64_t seed =
      core::derive_seed(fold_seed, {29, std::stoull(core::sha256_hex(modality).substr(0, 16), nullptr, 16)});
  std::string key = modality + "|" + encoder + "|" + input_key + "|" + std::to_string(seed) + "|";
  for (size_t i : with) key += std::to_string(i) + ",";
  if (cache)
    if (const auto it = cache->find(key); it != cache->end()) return it->second;
  if (with.empty())
    core::fail("modality '", modality, "': no training case has it, so encoder ", encoder, " cannot be trained");
  std::vector<int64_t> targets;
  for (size_t i : with) targets.push_back(labels[i]);
  fusion::ModelSpec spec;
  spec.modalities.push_back({modality, encoder, encoder_options_for(config, modality, encoder), sample_shape});
  spec.fusion = "early";
  spec.head = fusion::head_spec_from(config.head, targets);
  fusion::Batch batch;
  batch.inputs = {input};
  batch.present = torch::ones({static_cast<int64_t>(with.size()), 1}, torch::kBool);
  batch.targets = torch::tensor(targets, torch::kInt64);
  auto training = fusion::training_options_from(config.training);
  training.mode = "end_to_end";  // one modality: nothing to fuse
  training.seed = seed;
  training.threads = config.threads;
  torch::manual_seed(core::derive_seed(seed, {17}));
  fusion::MultimodalModel model(spec);
  fusion::train_model(model, batch, nullptr, training);
  if (cache) (*cache)[key] = model.ptr();
  return model.ptr();
}

std::shared_ptr<DeepFeatures> deep_features_of(std::shared_ptr<fusion::MultimodalModelImpl> network,
                                               const ImageBlock& crops, const std::vector<size_t>& with) {
  auto deep = std::make_shared<DeepFeatures>();
  deep->network = std::move(network);
  const auto e = embeddings_of(*deep->network, crops, with);
  deep->mean = e.colwise().mean();
  deep->scale = ((e.rowwise() - deep->mean).array().square().colwise().sum() /
                 std::max<double>(1, static_cast<double>(e.rows()) - 1))
                    .sqrt();
  for (Eigen::Index j = 0; j < deep->scale.size(); ++j)
    if (!(deep->scale(j) > 1e-12)) deep->scale(j) = 1;  // a constant embedding column stays 0 after centring
  return deep;
}

// Copies the trained encoder of a one-modality network into encoder m of the model (same spec).
void copy_encoder(fusion::MultimodalModelImpl& from, fusion::MultimodalModel& into, size_t m) {
  torch::NoGradGuard no_grad;
  const auto source = from.encoder(0).named_parameters(), target = into->encoder(m).named_parameters();
  for (const auto& item : target) item.value().copy_(source[item.key()]);
  const auto source_buffers = from.encoder(0).named_buffers(), target_buffers = into->encoder(m).named_buffers();
  for (const auto& item : target_buffers) item.value().copy_(source_buffers[item.key()]);
}

}  // namespace

FittedModel::FittedModel() = default;
FittedModel::~FittedModel() = default;
FittedModel::FittedModel(FittedModel&&) noexcept = default;
FittedModel& FittedModel::operator=(FittedModel&&) noexcept = default;

namespace {

// A stratified split of the training rows: about `fraction` of each class held out (at least one
// case of a class with two or more), chosen by the seed.
std::pair<std::vector<size_t>, std::vector<size_t>> holdout_split(const std::vector<size_t>& train,
                                                                  const std::vector<int>& labels, double fraction,
                                                                  uint64_t seed) {
  std::vector<size_t> kept, held;
  for (int k = 0; k < kClasses; ++k) {
    std::vector<size_t> rows;
    for (size_t i : train)
      if (labels[i] == k) rows.push_back(i);
    core::Rng random(core::derive_seed(seed, {static_cast<uint64_t>(k)}));
    for (size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[random.below(i)]);  // Fisher-Yates
    const auto n = rows.size();
    const size_t take =
        n < 2 ? 0 : std::clamp<size_t>(static_cast<size_t>(std::lround(fraction * static_cast<double>(n))), 1, n - 1);
    held.insert(held.end(), rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(take));
    kept.insert(kept.end(), rows.begin() + static_cast<std::ptrdiff_t>(take), rows.end());
  }
  std::sort(kept.begin(), kept.end());
  std::sort(held.begin(), held.end());
  return {kept, held};
}

}  // namespace

FittedModel FittedModel::fit(const ExperimentConfig& config, const FeatureTable& table, const std::vector<int>& labels,
                             const std::string& fusion_name, const std::vector<std::string>& subset,
                             const std::vector<size_t>& train, uint64_t seed, const std::vector<std::string>& encoders,
                             EncoderCache* cache) {
  if (config.calibration_holdout == 0)
    return fit_model(config, table, labels, fusion_name, subset, train, seed, encoders, cache);
  const auto [kept, held] = holdout_split(train, labels, config.calibration_holdout, core::derive_seed(seed, {29}));
  auto out = fit_model(config, table, labels, fusion_name, subset, kept, seed, encoders, cache);
  const auto p = out.predict(table, held).probabilities;
  Probabilities probabilities;
  std::vector<int> truth;
  for (size_t i = 0; i < held.size(); ++i) {
    probabilities.push_back(
        {p(static_cast<Eigen::Index>(i), 0), p(static_cast<Eigen::Index>(i), 1), p(static_cast<Eigen::Index>(i), 2)});
    truth.push_back(labels[held[i]]);
  }
  out.calibrator_ = Calibrator::fit(config.calibration, probabilities, truth);
  for (auto& row : probabilities) row = out.calibrator_.apply(row);
  out.conformal_ = ConformalSets::fit(config.conformal_alpha, probabilities, truth);
  return out;
}

FittedModel FittedModel::fit_model(const ExperimentConfig& config, const FeatureTable& table,
                                   const std::vector<int>& labels, const std::string& fusion_name,
                                   const std::vector<std::string>& subset, const std::vector<size_t>& train,
                                   uint64_t seed, const std::vector<std::string>& chosen_encoders,
                                   EncoderCache* cache) {
  FittedModel out;
  out.fusion_ = fusion_name;
  out.subset_ = subset;
  const bool submodels = fusion_name == "submodels";
  const bool classical = is_classical_method(fusion_name);  // both need every value imputed
  std::vector<std::string> encoder_of;
  for (size_t m = 0; m < subset.size(); ++m)
    encoder_of.push_back(m < chosen_encoders.size() ? chosen_encoders[m] : encoder_choices(config, subset[m]).front());
  for (size_t m = 0; m < subset.size(); ++m) {
    const auto& modality = subset[m];
    const auto& block = table.block(modality);
    BlockPreprocessor preprocessor;
    out.images_.emplace_back();
    out.image_shapes_.emplace_back();
    size_t absent = 0;
    out.deep_.emplace_back();
    if (encoders::is_image_encoder(encoder_of[m])) {
      // Crops are normalised per case: nothing to fit on the training cases.
      const auto& crops =
          crops_of(table, ImageInputSpec::from(modality, encoder_of[m], encoders::image_layout(encoder_of[m], modality),
                                               options_of(config.image_options, modality)));
      out.images_.back() = crops.spec;
      out.image_shapes_.back() = crops.sample_shape;
      std::vector<size_t> with;
      for (size_t i : train) {
        const bool here = block.present[i] && crops.present[i];
        absent += !here;
        if (here) with.push_back(i);
      }
      if (classical)
        out.deep_.back() = deep_features_of(
            modality_network(config, modality, encoder_of[m], image_input(crops, with), crops.sample_shape, with,
                             labels, seed, crops.spec.to_json().dump(), cache),
            crops, with);
    } else {
      // The clinical encoder sees missing values itself (learned missing embeddings); classical
      // learners need every value.
      const bool harmonise = config.harmonisation == "combat" && modality != "clinical";
      preprocessor.fit(block, train, labels, selection_for(config, modality), classical || modality != "clinical",
                       harmonise ? &table.sites : nullptr);
      for (size_t i : train) absent += !block.present[i];
    }
    out.preprocessors_.push_back(std::move(preprocessor));
    out.absent_in_training_.push_back(absent);
  }
  std::vector<int> train_labels;
  for (size_t i : train) train_labels.push_back(labels[i]);
  auto options = options_of(config.fusion_options, fusion_name);

  if (submodels) {
    const auto [blocks, present] = submodel_inputs(out, table, train);
    out.submodels_ = std::make_unique<fusion::BinarySubmodels>();
    out.submodels_->fit(blocks, present, train_labels, fusion::BinarySubmodels::options_from(options), seed,
                        config.threads);
    return out;
  }
  if (classical) {
    out.classifier_ = fusion::make_classifier(fusion_name, options, seed, config.threads);
    out.classifier_->fit(classical_inputs(out, table, train), train_labels);
    return out;
  }
  fusion::ModelSpec spec;
  auto batch = network_inputs(out.preprocessors_, out.images_, subset, table, train);
  for (size_t m = 0; m < subset.size(); ++m)
    spec.modalities.push_back(
        {subset[m], encoder_of[m], encoder_options_for(config, subset[m], encoder_of[m]), out.sample_shape(m)});
  std::vector<int64_t> targets(train_labels.begin(), train_labels.end());
  batch.targets = torch::tensor(targets, torch::kInt64);
  const auto stacking = fusion::take_stacking_options(options);
  spec.fusion = fusion_name;
  spec.fusion_options = options;
  spec.head = fusion::head_spec_from(config.head, targets);
  auto training = fusion::training_options_from(config.training);
  training.seed = seed;
  training.threads = config.threads;
  torch::manual_seed(core::derive_seed(seed, {17}));
  if (spec.fusion == "late" && options.count("combine") && options.at("combine") == "stacking") {
    out.stacked_ = std::make_unique<fusion::StackedLateModel>();
    out.stacked_->fit(spec, batch, training, stacking);
  } else {
    fusion::MultimodalModel model(spec);
    if (training.mode == "two_stage") {
      // Stage 1 per modality, shared by every cell of the fold that has the modality; then only the
      // fusion is trained here.
      const auto present = batch.present.to(torch::kBool);
      for (size_t m = 0; m < subset.size(); ++m) {
        const auto cases = present.select(1, static_cast<int64_t>(m)).nonzero().squeeze(1);
        std::vector<size_t> with;
        for (int64_t k = 0; k < cases.numel(); ++k)
          with.push_back(train[static_cast<size_t>(cases[k].item<int64_t>())]);
        const auto& input = batch.inputs[m];
        const encoders::EncoderInput rows{
            input.values.index_select(0, cases),
            input.item_mask.defined() ? input.item_mask.index_select(0, cases) : torch::Tensor()};
        const auto input_key =
            out.images_[m] ? out.images_[m]->to_json().dump() : core::join(out.preprocessors_[m].selected_names(), ",");
        copy_encoder(*modality_network(config, subset[m], encoder_of[m], rows, out.sample_shape(m), with, labels, seed,
                                       input_key, cache),
                     model, m);
      }
      training.encoders_pretrained = true;  // the training loop reseeds dropout per epoch: the cache changes nothing
    }
    fusion::train_model(model, batch, nullptr, training);
    out.network_ = model.ptr();
  }
  return out;
}

Eigen::MatrixXd FittedModel::block_values(size_t m, const FeatureTable& table, const std::vector<size_t>& rows) const {
  if (!deep_.at(m)) return preprocessors_.at(m).apply(table.block(subset_[m]), rows, &table.sites);
  const auto& deep = *deep_[m];
  const auto& crops = crops_of(table, *images_[m]);
  Eigen::MatrixXd out = embeddings_of(*deep.network, crops, rows);
  const auto present = block_present(m, table, rows);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    if (present[i])
      out.row(r) = (out.row(r) - deep.mean).cwiseQuotient(deep.scale);
    else
      out.row(r).setZero();  // as the preprocessing leaves absent cases
  }
  return out;
}

std::vector<bool> FittedModel::block_present(size_t m, const FeatureTable& table,
                                             const std::vector<size_t>& rows) const {
  const auto& block = table.block(subset_.at(m));
  const ImageBlock* crops = images_.at(m) ? &crops_of(table, *images_[m]) : nullptr;
  std::vector<bool> out;
  for (size_t r : rows) out.push_back(block.present[r] && (!crops || crops->present[r]));
  return out;
}

std::vector<Atypicality> FittedModel::atypicality(const FeatureTable& table, size_t row) const {
  std::vector<Atypicality> out(subset_.size());
  for (size_t m = 0; m < subset_.size(); ++m)
    if (!images_[m]) out[m] = preprocessors_[m].atypicality(table.block(subset_[m]), row, &table.sites);
  return out;
}

std::vector<int64_t> FittedModel::sample_shape(size_t m) const {
  if (images_.at(m)) return image_shapes_.at(m);
  return {static_cast<int64_t>(preprocessors_.at(m).selected_names().size())};
}

void FittedModel::bind(const FeatureTable& table) {
  for (size_t m = 0; m < subset_.size(); ++m)
    if (!images_[m]) preprocessors_[m].bind(table.block(subset_[m]));
}

Eigen::MatrixXd FittedModel::predict_uncalibrated(const FeatureTable& table, const std::vector<size_t>& rows,
                                                  Eigen::MatrixXd* weights) const {
  if (classifier_) return normalised(classifier_->predict_proba(classical_inputs(*this, table, rows)));
  if (submodels_) {
    const auto [blocks, present] = submodel_inputs(*this, table, rows);
    return normalised(submodels_->predict_proba(blocks, present));
  }
  const auto batch = network_inputs(preprocessors_, images_, subset_, table, rows);
  if (stacked_) return normalised(to_matrix(stacked_->predict(batch)));
  fusion::MultimodalModel model(network_);
  const auto prediction = fusion::predict(model, batch);
  if (prediction.modality_weights.defined()) *weights = to_matrix(prediction.modality_weights);
  return normalised(to_matrix(prediction.probabilities));
}

std::optional<fusion::MarginShapley> FittedModel::margin_shapley(const FeatureTable& table, size_t row) const {
  if (!classifier_) return std::nullopt;
  for (const auto& image : images_)
    if (image) return std::nullopt;  // deep-feature columns have no names to attribute to
  return classifier_->exact_shapley(classical_inputs(*this, table, {row}).row(0));
}

std::vector<ImageSaliency> FittedModel::saliency(const FeatureTable& table, size_t row, int target_class) const {
  if (!network_ || stacked_) return {};
  fusion::MultimodalModel model(network_);
  const auto maps =
      fusion::case_saliency(model, network_inputs(preprocessors_, images_, subset_, table, {row}), target_class);
  std::vector<ImageSaliency> out;
  for (size_t m = 0; m < subset_.size(); ++m) {
    if (!images_[m] || !maps[m].map.defined()) continue;
    const auto map = maps[m].map.to(torch::kFloat32).contiguous();
    ImageSaliency s{*images_[m], maps[m].method, map.sizes().vec(), {}};
    s.values.assign(map.data_ptr<float>(), map.data_ptr<float>() + map.numel());
    out.push_back(std::move(s));
  }
  return out;
}

ModelOutput FittedModel::predict(const FeatureTable& table, const std::vector<size_t>& rows) const {
  ModelOutput out;
  out.uncalibrated = predict_uncalibrated(table, rows, &out.weights);
  out.probabilities = out.uncalibrated;
  for (Eigen::Index i = 0; i < out.probabilities.rows(); ++i) {
    const auto p = calibrator_.apply({out.uncalibrated(i, 0), out.uncalibrated(i, 1), out.uncalibrated(i, 2)});
    for (int k = 0; k < kClasses; ++k) out.probabilities(i, k) = p[k];
    if (conformal_.enabled()) out.sets.push_back(conformal_.set_of(p));
  }
  return out;
}

void FittedModel::save(const std::filesystem::path& folder, const nlohmann::json& metadata) const {
  std::filesystem::create_directories(folder);
  nlohmann::json bundle = {{"format", kBundleFormat},
                           {"version", kBundleVersion},
                           {"vbiopsy_version", VBIOPSY_VERSION},
                           {"fusion", fusion_},
                           {"modalities", subset_},
                           {"label_map", {kClassNames[0], kClassNames[1], kClassNames[2]}},
                           {"absent_in_training", absent_in_training_},
                           {"run", metadata}};
  for (const auto& p : preprocessors_) bundle["preprocessing"].push_back(p.save());
  // Per modality: how its crops are made (image encoders) or null (feature columns).
  for (size_t m = 0; m < subset_.size(); ++m)
    bundle["image_inputs"].push_back(
        images_[m] ? nlohmann::json{{"crop", images_[m]->to_json()}, {"sample_shape", image_shapes_[m]}}
                   : nlohmann::json());
  // Deep features of classical learners: each encoder in its own network file.
  for (size_t m = 0; m < subset_.size(); ++m) {
    if (!deep_[m]) {
      bundle["deep_features"].push_back(nullptr);
      continue;
    }
    const auto file = "deep_" + subset_[m] + ".pt";
    fusion::MultimodalModel network(deep_[m]->network);
    fusion::save_bundle(folder / file, network, {{"model", fusion_}, {"deep_features_of", subset_[m]}});
    const std::vector<double> mean(deep_[m]->mean.data(), deep_[m]->mean.data() + deep_[m]->mean.size()),
        scale(deep_[m]->scale.data(), deep_[m]->scale.data() + deep_[m]->scale.size());
    bundle["deep_features"].push_back({{"network", file}, {"mean", mean}, {"scale", scale}});
  }
  bundle["calibration"] = calibrator_.save();
  bundle["conformal"] = conformal_.enabled() ? conformal_.save() : nlohmann::json();
  if (classifier_) {
    bundle["kind"] = "classifier";
    bundle["classifier"] = classifier_->save();
  } else if (submodels_) {
    bundle["kind"] = "submodels";
    bundle["submodels"] = submodels_->save();
  } else {
    bundle["kind"] = stacked_ ? "stacked_late" : "network";
    if (stacked_) bundle["stacking"] = stacked_->save_meta();
    fusion::MultimodalModel model(stacked_ ? stacked_->model().ptr() : network_);
    fusion::save_bundle(folder / "network.pt", model, {{"model", fusion_}});
  }
  // The SHA-256 of every network file and of bundle.json's own content, verified on loading:
  // flipped bits in the weights or an edited field are refused, never predicted with.
  nlohmann::json files = nlohmann::json::object();
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.path().extension() == ".pt") files[entry.path().filename().string()] = file_sha256(entry.path());
  bundle["integrity"] = {{"files", files}, {"bundle_sha256", bundle_content_sha256(bundle)}};
  core::write_file_atomic(folder / "bundle.json", bundle.dump(1) + "\n");  // last: its presence means complete
}

Eigen::Index FittedModel::block_width(size_t m) const {
  if (deep_.at(m)) return deep_[m]->mean.size();
  return static_cast<Eigen::Index>(preprocessors_.at(m).selected_names().size());
}

FittedModel FittedModel::load(const std::filesystem::path& folder, nlohmann::json* metadata) {
  const auto bundle = read_bundle_json(folder);
  const auto path = folder / "bundle.json";
  FittedModel out;
  try {
    auto blocks = read_bundle_blocks(bundle);
    out.fusion_ = blocks.fusion;
    out.subset_ = std::move(blocks.subset);
    out.absent_in_training_ = std::move(blocks.absent_in_training);
    out.preprocessors_ = std::move(blocks.preprocessors);
    out.images_ = std::move(blocks.images);
    out.image_shapes_ = std::move(blocks.image_shapes);
    for (const auto& spec : out.images_)  // the crops must be the ones the encoder reads
      if (spec && encoders::image_layout(spec->encoder, spec->modality) != spec->layout)
        core::fail("modality '", spec->modality, "': crops of layout '", modalities::crop_layout_name(spec->layout),
                   "', but encoder '", spec->encoder, "' reads ",
                   modalities::crop_layout_name(encoders::image_layout(spec->encoder, spec->modality)));
    out.calibrator_ = blocks.calibrator;
    out.conformal_ = blocks.conformal;
    const auto deep = bundle.value("deep_features", nlohmann::json::array());
    for (size_t m = 0; m < out.subset_.size(); ++m) {
      out.deep_.emplace_back();
      if (m >= deep.size() || deep[m].is_null()) continue;
      if (!out.images_[m]) core::fail("deep features for modality '", out.subset_[m], "' without image inputs");
      auto loaded = fusion::load_bundle(bundle_network_file(folder, bundle, deep[m].at("network").get<std::string>()));
      const auto& spec = loaded.model->spec();
      if (spec.modalities.size() != 1 || spec.modalities[0].name != out.subset_[m] ||
          spec.modalities[0].sample_shape != out.image_shapes_[m] ||
          spec.modalities[0].encoder != out.images_[m]->encoder)
        core::fail(deep[m].at("network").get<std::string>(), " does not match bundle.json for modality '",
                   out.subset_[m], "'");
      const auto mean = deep[m].at("mean").get<std::vector<double>>(),
                 scale = deep[m].at("scale").get<std::vector<double>>();
      if (mean.size() != scale.size() || static_cast<int64_t>(mean.size()) != loaded.model->encoder(0).embedding_dim())
        core::fail("deep features of '", out.subset_[m], "': ", mean.size(), " means and ", scale.size(),
                   " scales for an embedding of ", loaded.model->encoder(0).embedding_dim());
      fusion::require_finite("mean", mean);
      fusion::require_finite("scale", scale, true);
      auto features = std::make_shared<DeepFeatures>();
      features->network = loaded.model.ptr();
      features->mean = Eigen::Map<const Eigen::RowVectorXd>(mean.data(), static_cast<Eigen::Index>(mean.size()));
      features->scale = Eigen::Map<const Eigen::RowVectorXd>(scale.data(), static_cast<Eigen::Index>(scale.size()));
      out.deep_.back() = features;
    }
    std::vector<Eigen::Index> widths;
    for (size_t m = 0; m < out.subset_.size(); ++m) widths.push_back(out.block_width(m));
    const auto& kind = blocks.kind;
    if (kind == "classifier") {
      // The early concatenation of the blocks plus one presence flag each (classical_inputs).
      Eigen::Index columns = 0;
      for (const auto w : widths) columns += w + 1;
      out.classifier_ =
          fusion::load_classifier(out.fusion_, bundle.at("classifier"), {columns, static_cast<int>(fusion::kClasses)});
    } else if (kind == "submodels") {
      out.submodels_ =
          std::make_unique<fusion::BinarySubmodels>(fusion::BinarySubmodels::load(bundle.at("submodels"), widths));
    } else if (kind == "network" || kind == "stacked_late") {
      auto loaded = fusion::load_bundle(bundle_network_file(folder, bundle, "network.pt"));
      const auto& spec = loaded.model->spec();
      if (kind == "network" && spec.fusion != out.fusion_)
        core::fail("bundle.json names fusion '", out.fusion_, "' but network.pt holds a '", spec.fusion, "' network");
      if (spec.modalities.size() != out.subset_.size())
        core::fail("network.pt holds ", spec.modalities.size(), " modalities, bundle.json names ", out.subset_.size());
      for (size_t m = 0; m < out.subset_.size(); ++m) {
        if (spec.modalities[m].name != out.subset_[m] || spec.modalities[m].sample_shape != out.sample_shape(m) ||
            (out.images_[m] && spec.modalities[m].encoder != out.images_[m]->encoder))
          core::fail("network.pt does not match bundle.json for modality '", out.subset_[m], "'");
      }
      if (kind == "stacked_late") {
        out.stacked_ = std::make_unique<fusion::StackedLateModel>();
        out.stacked_->load_meta(loaded.model, bundle.at("stacking"));
      } else {
        out.network_ = loaded.model.ptr();
      }
    } else {
      core::fail("kind '", kind, "', expected classifier, submodels, network or stacked_late");
    }
  } catch (const nlohmann::json::exception& e) {
    core::fail(path.string(), ": ", e.what());
  } catch (const core::Error& e) {
    core::fail("model bundle ", folder.string(), ": ", e.what());
  }
  if (metadata) *metadata = bundle.value("run", nlohmann::json::object());
  return out;
}

}  // namespace vbiopsy::experiments
