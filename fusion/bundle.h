#pragma once
// Model bundles: one file with the weights, the model spec, and the metadata `predict` needs
// (preprocessing statistics, selected features, label map, config, versions). Loading rebuilds
// the model from its spec and checks every parameter's name and shape (LibTorch 1.13 loads
// mismatched shapes silently), and refuses data made for other inputs with a clear message.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusion/model.h"

namespace vbiopsy::fusion {

constexpr const char* kBundleFormat = "vbiopsy-model-bundle";
constexpr int kBundleVersion = 1;

struct LoadedBundle {
  MultimodalModel model{nullptr};
  nlohmann::json metadata;  // what the caller saved, plus format, version, spec and label map
};

// `metadata` is free-form for the caller (preprocessing statistics, selected features, config
// text); format, version, spec and label map are added here. Written atomically.
void save_bundle(const std::filesystem::path& path, MultimodalModel& model, nlohmann::json metadata);
LoadedBundle load_bundle(const std::filesystem::path& path);

// Refuses a batch whose modalities or per-case shapes differ from those the bundle was trained on,
// naming the modality, the shape found and the shape expected.
void check_bundle_inputs(const std::filesystem::path& path, const ModelSpec& spec,
                         const std::vector<std::string>& modality_names, const Batch& batch);

}  // namespace vbiopsy::fusion
