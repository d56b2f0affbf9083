#include "fusion/model.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace vbiopsy::fusion {

nlohmann::json to_json(const ModelSpec& spec) {
  nlohmann::json modalities = nlohmann::json::array();
  for (const auto& m : spec.modalities)
    modalities.push_back(
        {{"name", m.name}, {"encoder", m.encoder}, {"options", m.options}, {"sample_shape", m.sample_shape}});
  return {{"modalities", modalities},
          {"fusion", spec.fusion},
          {"fusion_options", spec.fusion_options},
          {"head",
           {{"kind", spec.head.kind},
            {"loss", spec.head.loss},
            {"focal_gamma", spec.head.focal_gamma},
            {"class_weights", spec.head.class_weights}}}};
}

ModelSpec model_spec_from_json(const nlohmann::json& json) {
  try {
    ModelSpec spec;
    for (const auto& m : json.at("modalities"))
      spec.modalities.push_back({m.at("name").get<std::string>(), m.at("encoder").get<std::string>(),
                                 m.at("options").get<std::map<std::string, std::string>>(),
                                 m.at("sample_shape").get<std::vector<int64_t>>()});
    spec.fusion = json.at("fusion").get<std::string>();
    spec.fusion_options = json.at("fusion_options").get<std::map<std::string, std::string>>();
    const auto& head = json.at("head");
    spec.head.kind = head.at("kind").get<std::string>();
    spec.head.loss = head.at("loss").get<std::string>();
    spec.head.focal_gamma = head.at("focal_gamma").get<double>();
    spec.head.class_weights = head.at("class_weights").get<std::vector<double>>();
    return spec;
  } catch (const nlohmann::json::exception& e) {
    core::fail("model spec: ", e.what());
  }
}

Batch select_cases(const Batch& batch, const torch::Tensor& index) {
  Batch out;
  for (const auto& input : batch.inputs)
    out.inputs.push_back({input.values.index_select(0, index),
                          input.item_mask.defined() ? input.item_mask.index_select(0, index) : torch::Tensor()});
  out.present = batch.present.index_select(0, index);
  if (batch.targets.defined()) out.targets = batch.targets.index_select(0, index);
  return out;
}

void check_batch(const ModelSpec& spec, const Batch& batch) {
  if (batch.inputs.size() != spec.modalities.size())
    core::fail("the model expects ", spec.modalities.size(), " modalities, the data has ", batch.inputs.size());
  const int64_t n = batch.present.defined() ? batch.present.size(0) : -1;
  if (n < 0 || batch.present.dim() != 2 || batch.present.size(1) != static_cast<int64_t>(spec.modalities.size()))
    core::fail("presence mask must be [N,", spec.modalities.size(), "]");
  for (size_t m = 0; m < spec.modalities.size(); ++m) {
    const auto& values = batch.inputs[m].values;
    const auto& expected = spec.modalities[m].sample_shape;
    std::vector<int64_t> found(values.sizes().begin(), values.sizes().end());
    std::vector<int64_t> wanted{n};
    wanted.insert(wanted.end(), expected.begin(), expected.end());
    if (found != wanted)
      core::fail("modality '", spec.modalities[m].name, "' (encoder ", spec.modalities[m].encoder, "): input shape ",
                 values.sizes(), ", expected ", c10::IntArrayRef(wanted));
  }
  if (batch.targets.defined() && (batch.targets.dim() != 1 || batch.targets.size(0) != n))
    core::fail("targets must be [", n, "], got ", batch.targets.sizes());
}

MultimodalModelImpl::MultimodalModelImpl(ModelSpec spec) : spec_(std::move(spec)) {
  if (spec_.modalities.empty()) core::fail("a model needs at least one modality");
  std::vector<int64_t> dims;
  for (const auto& m : spec_.modalities) {
    auto encoder = encoders::make_encoder(m.encoder, m.options, m.sample_shape);
    register_module("encoder_" + m.name, encoder);
    dims.push_back(encoder->embedding_dim());
    encoders_.push_back(std::move(encoder));
  }
  fusion_ = make_fusion(spec_.fusion, spec_.fusion_options, dims, spec_.head);
  register_module("fusion", fusion_);
}

std::vector<torch::Tensor> MultimodalModelImpl::embed(const Batch& batch) {
  TORCH_CHECK(batch.inputs.size() == encoders_.size(), "model has ", encoders_.size(), " modalities, batch has ",
              batch.inputs.size());
  const auto present = batch.present.to(torch::kBool);
  std::vector<torch::Tensor> embeddings;
  for (size_t m = 0; m < encoders_.size(); ++m) {
    const auto& input = batch.inputs[m];
    // Zero the inputs of absent cases: padding (even NaN) must not reach any gradient. Only the
    // absent rows are touched (an image batch is large; usually every case is present).
    const auto absent = present.select(1, static_cast<int64_t>(m)).logical_not().nonzero().squeeze(1);
    const auto values = absent.numel() == 0 ? input.values : input.values.index_fill(0, absent, 0);
    embeddings.push_back(encoders_[m]->forward({values, input.item_mask}));
  }
  return embeddings;
}

FusionOutput MultimodalModelImpl::forward(const Batch& batch) {
  return fusion_->forward({embed(batch), batch.present.to(torch::kBool)}, batch.targets);
}

}  // namespace vbiopsy::fusion
