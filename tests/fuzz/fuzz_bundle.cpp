// Model bundles' bundle.json: format, integrity, per-modality preprocessing and image records, and
// the fitted state of a classical learner, then a prediction from it. The integrity record is
// recomputed for every input, as anyone editing a bundle can, so the fuzzer reaches the field
// checks behind it. Network files (LibTorch) are outside the fuzz build.
#include <nlohmann/json.hpp>

#include "experiments/bundle_file.h"
#include "fusion/learners/classifier.h"
#include "fuzz_input.h"

namespace {

using namespace vbiopsy;

// What FittedModel::load does with a classical bundle, then one prediction.
void read(const std::filesystem::path& folder) {
  const auto bundle = experiments::read_bundle_json(folder);
  const auto blocks = experiments::read_bundle_blocks(bundle);
  if (blocks.kind != "classifier") return;
  Eigen::Index columns = 0;
  for (size_t m = 0; m < blocks.subset.size(); ++m) {
    if (blocks.images[m]) return;  // deep features come from a network file
    columns += static_cast<Eigen::Index>(blocks.preprocessors[m].selected_names().size()) + 1;
  }
  const auto model = fusion::load_classifier(blocks.fusion, bundle.at("classifier"), {columns, 3});
  const auto p = model->predict_proba(Eigen::MatrixXd::Zero(2, columns));
  if (p.rows() != 2 || p.cols() != 3) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {  // re-hashed when it parses within the reader's own depth limit (deeper: left as it is)
    auto document = nlohmann::json::parse(text, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > 32) throw std::length_error("deep");
      return true;
    });
    if (document.is_object()) {
      document["integrity"] = {{"files", nlohmann::json::object()},
                               {"bundle_sha256", experiments::bundle_content_sha256(document)}};
      text = document.dump();
    }
  } catch (const std::exception&) {
  }
  const auto folder = fuzz::scratch_folder() / "bundle";
  std::filesystem::create_directories(folder);
  fuzz::write_input(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "bundle/bundle.json");
  fuzz::expect_error_or_success([&] {
    try {
      read(folder);
    } catch (const nlohmann::json::exception& e) {  // as FittedModel::load reports it
      core::fail("bundle.json: ", e.what());
    }
  });
  return 0;
}
