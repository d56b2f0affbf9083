#include "experiments/bundle_file.h"

#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "experiments/statistics/metrics.h"
#include "fusion/json_integers.h"

namespace vbiopsy::experiments {

std::string file_sha256(const std::filesystem::path& file) {
  core::Sha256 hash;
  hash.add_path(file);
  return hash.hex();
}

std::string bundle_content_sha256(nlohmann::json bundle) {
  bundle.erase("integrity");
  return core::sha256_hex(bundle.dump());
}

namespace {

void verify_integrity(const std::filesystem::path& folder, const nlohmann::json& bundle) {
  const auto path = folder / "bundle.json";
  if (!bundle.contains("integrity"))
    core::fail(path.string(), ": no integrity record (SHA-256 of its files); export the model again");
  const auto& integrity = bundle.at("integrity");
  if (integrity.value("bundle_sha256", "") != bundle_content_sha256(bundle))
    core::fail(path.string(),
               ": its content differs from what was exported (SHA-256 mismatch): the bundle was edited or damaged");
  for (const auto& [name, sha] : integrity.at("files").items()) {
    // Only files of the bundle itself: a name must not lead out of its folder.
    if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "." ||
        name == "..")
      core::fail(path.string(), ": integrity record names file '", name, "', expected a file name inside the bundle");
    const auto file = folder / name;
    if (!std::filesystem::is_regular_file(file))
      core::fail("model bundle ", folder.string(), ": ", name, " does not exist");
    if (file_sha256(file) != sha.get<std::string>())
      core::fail(file.string(),
                 ": its SHA-256 differs from the one bundle.json records: the weights were changed or damaged");
  }
  const std::vector<std::string> classes = {kClassNames[0], kClassNames[1], kClassNames[2]};
  if (bundle.value("label_map", std::vector<std::string>{}) != classes)
    core::fail(path.string(), ": label_map ", bundle.value("label_map", nlohmann::json()).dump(),
               " contradicts the network's classes ", nlohmann::json(classes).dump());
}

}  // namespace

nlohmann::json read_bundle_json(const std::filesystem::path& folder) {
  const auto path = folder / "bundle.json";
  if (!std::filesystem::exists(path))
    core::fail("model bundle ", folder.string(), ": no bundle.json (a bundle is a folder under RUN_DIR/models/)");
  nlohmann::json bundle;
  try {
    // A bundle is at most a few levels deep; a deeper one is refused before its nesting could
    // exhaust the stack of the recursive dump that hashes it.
    constexpr int kMaxDepth = 32;
    bundle = nlohmann::json::parse(
        core::read_text_file(path), [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
          if (depth > kMaxDepth)
            core::fail(path.string(), ": nested deeper than ", kMaxDepth, " levels, not a bundle.json");
          return true;
        });
    if (!bundle.is_object()) core::fail(path.string(), ": expected a JSON object, found ", bundle.type_name());
    if (bundle.value("format", "") != kBundleFormat)
      core::fail(path.string(), ": format '", bundle.value("format", ""), "', expected '", kBundleFormat, "'");
    const auto version = bundle.value("version", nlohmann::json());
    if (version != nlohmann::json(kBundleVersion))
      core::fail(path.string(), ": version ", version.dump(), ", this program reads version ", kBundleVersion);
    verify_integrity(folder, bundle);
  } catch (const nlohmann::json::exception& e) {
    core::fail(path.string(), ": ", e.what());
  }
  return bundle;
}

std::filesystem::path bundle_network_file(const std::filesystem::path& folder, const nlohmann::json& bundle,
                                          const std::string& name) {
  if (!bundle.at("integrity").at("files").contains(name))
    core::fail("bundle.json names network file '", name, "', which its integrity record does not list");
  return folder / name;
}

BundleBlocks read_bundle_blocks(const nlohmann::json& bundle) {
  BundleBlocks out;
  out.fusion = bundle.at("fusion").get<std::string>();
  out.kind = bundle.at("kind").get<std::string>();
  out.subset = bundle.at("modalities").get<std::vector<std::string>>();
  out.absent_in_training = fusion::json_integers<size_t>(bundle.at("absent_in_training"), "absent_in_training", 0);
  const auto& states = bundle.at("preprocessing");
  const auto images = bundle.value("image_inputs", nlohmann::json::array());
  if (out.subset.empty() || !states.is_array() || !images.is_array() || states.size() != out.subset.size() ||
      out.absent_in_training.size() != out.subset.size() || (!images.empty() && images.size() != out.subset.size()))
    core::fail(out.subset.size(), " modalities but ", states.size(), " preprocessing states, ",
               out.absent_in_training.size(), " absence counts and ", images.size(), " image input records");
  for (size_t m = 0; m < out.subset.size(); ++m) {
    out.images.emplace_back();
    out.image_shapes.emplace_back();
    if (images.empty() || images[m].is_null()) {
      out.preprocessors.push_back(BlockPreprocessor::load(states[m]));
      continue;
    }
    out.preprocessors.emplace_back();  // crops are normalised per case
    out.images.back() = ImageInputSpec::from_json(images[m].at("crop"));
    out.image_shapes.back() = fusion::json_integers<int64_t>(images[m].at("sample_shape"), "sample_shape", 1, 4096);
    for (const auto size : out.image_shapes.back())
      if (size < 1 || size > 4096)
        core::fail("modality '", out.subset[m], "': sample_shape size ", size, ", expected 1..4096");
  }
  out.calibrator = Calibrator::load(bundle.at("calibration"));
  if (!bundle.at("conformal").is_null()) out.conformal = ConformalSets::load(bundle.at("conformal"));
  return out;
}

}  // namespace vbiopsy::experiments
