#pragma once
// Embeddings computed outside vbiopsy (e.g. a Python foundation model's features), one CSV row per
// case: `case_id,<feature columns>`. Read with every value checked, so a lab can plug in any
// encoder trained elsewhere through the `precomputed` encoder.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace vbiopsy::encoders {

struct PrecomputedEmbeddings {
  std::vector<std::string> columns;                   // feature names, in file order
  std::map<std::string, std::vector<float>> by_case;  // case_id -> values
};

PrecomputedEmbeddings read_precomputed_embeddings(const std::filesystem::path& path);

}  // namespace vbiopsy::encoders
