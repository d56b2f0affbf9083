#include "fusion/bundle.h"

#include <torch/serialize.h>

#include <set>

#include "core/error.h"
#include "fusion/archive_file.h"
#include "core/strings.h"
#include "datasets/her2.h"

namespace vbiopsy::fusion {

void save_bundle(const std::filesystem::path& path, MultimodalModel& model, nlohmann::json metadata) {
  if (!metadata.is_object()) metadata = nlohmann::json::object();
  metadata["format"] = kBundleFormat;
  metadata["version"] = kBundleVersion;
  metadata["spec"] = to_json(model->spec());
  metadata["label_map"] = std::vector<std::string>(datasets::kHer2ClassNames.begin(), datasets::kHer2ClassNames.end());
  torch::serialize::OutputArchive archive;
  archive.write("metadata", c10::IValue(metadata.dump()));
  torch::serialize::OutputArchive weights;
  for (const auto& item : model->named_parameters()) weights.write(item.key(), item.value().detach());
  for (const auto& item : model->named_buffers()) weights.write(item.key(), item.value().detach(), true);
  archive.write("weights", weights);
  save_archive_atomic(archive, path);
}

LoadedBundle load_bundle(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) core::fail("model bundle ", path.string(), " does not exist");
  torch::serialize::InputArchive archive, weights;
  LoadedBundle bundle;
  try {
    archive.load_from(path.string());
    c10::IValue text;
    archive.read("metadata", text);
    bundle.metadata = nlohmann::json::parse(text.toStringRef());
    archive.read("weights", weights);
  } catch (const c10::Error& e) {
    core::fail("model bundle ", path.string(),
               " cannot be read (not a vbiopsy bundle, or truncated): ", e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    core::fail("model bundle ", path.string(), ": malformed metadata: ", e.what());
  }
  const auto& meta = bundle.metadata;
  if (meta.value("format", "") != kBundleFormat)
    core::fail("model bundle ", path.string(), ": format '", meta.value("format", ""), "', expected '", kBundleFormat,
               "'");
  const auto version = meta.value("version", nlohmann::json());
  if (version != nlohmann::json(kBundleVersion))
    core::fail("model bundle ", path.string(), ": version ", version.dump(), ", this program reads version ",
               kBundleVersion);
  try {
    bundle.model = MultimodalModel(model_spec_from_json(meta.at("spec")));
  } catch (const core::Error& e) {
    core::fail("model bundle ", path.string(), ": ", e.what());
  }
  const auto stored_keys = weights.keys();
  std::set<std::string> unused(stored_keys.begin(), stored_keys.end());
  torch::NoGradGuard no_grad;
  auto load_one = [&](const std::string& name, torch::Tensor& target, bool is_buffer) {
    torch::Tensor stored;
    if (!weights.try_read(name, stored, is_buffer))
      core::fail("model bundle ", path.string(), ": ", is_buffer ? "buffer" : "parameter", " '", name, "' is missing");
    if (stored.sizes() != target.sizes())
      core::fail("model bundle ", path.string(), ": parameter '", name, "' has shape ", stored.sizes(),
                 ", the model built from the bundle's spec expects ", target.sizes());
    target.copy_(stored);
    unused.erase(name);
  };
  for (auto& item : bundle.model->named_parameters()) load_one(item.key(), item.value(), false);
  for (auto& item : bundle.model->named_buffers()) load_one(item.key(), item.value(), true);
  if (!unused.empty())
    core::fail("model bundle ", path.string(), ": holds weights the model does not have: ",
               core::join(std::vector<std::string>(unused.begin(), unused.end()), ", "));
  bundle.model->eval();
  return bundle;
}

void check_bundle_inputs(const std::filesystem::path& path, const ModelSpec& spec,
                         const std::vector<std::string>& modality_names, const Batch& batch) {
  std::vector<std::string> expected;
  for (const auto& m : spec.modalities) expected.push_back(m.name);
  if (modality_names != expected)
    core::fail("model bundle ", path.string(), " was trained on modalities [", core::join(expected, ", "),
               "], the input has [", core::join(modality_names, ", "), "]");
  try {
    check_batch(spec, batch);
  } catch (const core::Error& e) {
    core::fail("model bundle ", path.string(), " was made for other inputs: ", e.what());
  }
}

}  // namespace vbiopsy::fusion
