#pragma once
// bundle.json of a model bundle (see fitted_model.h), read and checked before any network file is
// opened: format and version, the integrity record (SHA-256 of its content and of every network
// file), the label map, and the per-modality records. Needs no LibTorch, so the bundle fuzz target
// (tests/fuzz/fuzz_bundle.cpp) runs exactly this code.
//
// The integrity record catches damage and careless edits, not an attacker (who can recompute a
// SHA-256): every field is therefore also checked for shape and range as it is read.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "experiments/calibration.h"
#include "experiments/image_inputs.h"
#include "experiments/preprocessing.h"

namespace vbiopsy::experiments {

constexpr const char* kBundleFormat = "vbiopsy-model";
constexpr int kBundleVersion = 3;  // 2: integrity record; 3: calibration and conformal sets

std::string file_sha256(const std::filesystem::path& file);
// bundle.json's content without its integrity record, in nlohmann's canonical (sorted) form.
std::string bundle_content_sha256(nlohmann::json bundle);

// Parses FOLDER/bundle.json and checks format, version, integrity and label map.
nlohmann::json read_bundle_json(const std::filesystem::path& folder);

// FOLDER/NAME for a network file that bundle.json's integrity record lists (and so was verified).
std::filesystem::path bundle_network_file(const std::filesystem::path& folder, const nlohmann::json& bundle,
                                          const std::string& name);

// The per-modality records of a bundle.
struct BundleBlocks {
  std::string fusion, kind;
  std::vector<std::string> subset;
  std::vector<size_t> absent_in_training;
  std::vector<BlockPreprocessor> preprocessors;       // default-constructed for image modalities
  std::vector<std::optional<ImageInputSpec>> images;  // per modality: crops read by an image encoder
  std::vector<std::vector<int64_t>> image_shapes;     // per modality; empty for feature columns
  Calibrator calibrator;
  ConformalSets conformal;  // alpha 0 when the bundle has none
};
BundleBlocks read_bundle_blocks(const nlohmann::json& bundle);

}  // namespace vbiopsy::experiments
