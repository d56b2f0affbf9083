#include "encoders/nn/builtin.h"

namespace vbiopsy::encoders {

std::vector<core::OptionSpec> ClinicalEncoder::option_specs() {
  return {{"hidden", "32", "hidden width"},
          {"embedding", "16", "embedding size"},
          {"dropout", "0.1", "dropout probability"}};
}

ClinicalEncoder::ClinicalEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& shape)
    : embedding_(options.integer("embedding")) {
  require_rank(kName, shape, 1, "[F] (one value per clinical variable, NaN = missing)");
  // A missing value is replaced by a learned per-variable value, and an indicator says it was
  // missing: the model can tell "ER missing" from "ER = 0", never a silent zero.
  missing_value_ = register_parameter("missing_value", torch::zeros({shape[0]}));
  mlp_ = register_module("mlp", Mlp(MlpOptions(2 * shape[0], embedding_)
                                        .hidden(options.integer("hidden"))
                                        .dropout(options.probability("dropout"))));
}

torch::Tensor ClinicalEncoder::forward(const EncoderInput& input) {
  const auto& x = input.values;
  TORCH_CHECK(x.dim() == 2 && x.size(1) == missing_value_.size(0), "clinical encoder expects [N,",
              missing_value_.size(0), "], got ", x.sizes());
  const auto missing = torch::isnan(x);
  const auto filled = torch::where(missing, missing_value_.expand_as(x), x);
  return mlp_->forward(torch::cat({filled, missing.to(x.dtype())}, 1));
}

}  // namespace vbiopsy::encoders
