#include "encoders/nn/precomputed.h"

#include <cmath>

#include "core/csv.h"
#include "core/error.h"
#include "core/strings.h"
#include "encoders/nn/builtin.h"

namespace vbiopsy::encoders {

std::vector<core::OptionSpec> PrecomputedEncoder::option_specs() {
  return {{"project", "0", "size of a learned linear projection; 0 = use the embeddings as they are"}};
}

PrecomputedEncoder::PrecomputedEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& shape) {
  require_rank(kName, shape, 1, "[F] (one embedding vector)");
  const long long project = options.integer("project");
  if (project < 0) core::fail("encoder 'precomputed': option 'project' = ", project, ", expected >= 0");
  embedding_ = project > 0 ? project : shape[0];
  if (project > 0) project_ = register_module("project", torch::nn::Linear(shape[0], project));
}

torch::Tensor PrecomputedEncoder::forward(const EncoderInput& input) {
  TORCH_CHECK(input.values.dim() == 2, "precomputed encoder expects [N,F], got ", input.values.sizes());
  return project_ ? project_->forward(input.values) : input.values;
}

PrecomputedEmbeddings read_precomputed_embeddings(const std::filesystem::path& path) {
  const auto table = core::read_csv(path);
  if (table.header.size() < 2 || core::to_lower(core::trim(table.header[0])) != "case_id")
    core::fail(path.string(), ": expected a header `case_id,<feature columns>`, got '", core::join(table.header, ","),
               "'");
  PrecomputedEmbeddings out;
  out.columns.assign(table.header.begin() + 1, table.header.end());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const std::string case_id = core::trim(row[0]);
    if (case_id.empty()) core::fail(path.string(), ":", table.line_of_row(r), ": empty case_id");
    if (out.by_case.count(case_id))
      core::fail(path.string(), ":", table.line_of_row(r), ": case '", case_id, "' appears twice");
    std::vector<float> values;
    values.reserve(out.columns.size());
    for (size_t c = 1; c < row.size(); ++c) {
      const auto value = core::parse_double(core::trim(row[c]));
      if (!value || !std::isfinite(*value))
        core::fail(path.string(), ":", table.line_of_row(r), ": column '", table.header[c], "' = '", row[c],
                   "', expected a finite number");
      values.push_back(static_cast<float>(*value));
    }
    out.by_case.emplace(case_id, std::move(values));
  }
  if (out.by_case.empty()) core::fail(path.string(), ": no embedding rows");
  return out;
}

}  // namespace vbiopsy::encoders
