#include "encoders/nn/builtin.h"

namespace vbiopsy::encoders {

std::vector<core::OptionSpec> RadiomicsMlpEncoder::option_specs() {
  return {{"hidden", "64", "hidden width"},
          {"layers", "1", "hidden layers"},
          {"embedding", "32", "embedding size"},
          {"dropout", "0.2", "dropout probability"}};
}

RadiomicsMlpEncoder::RadiomicsMlpEncoder(const core::ResolvedOptions& options, const std::vector<int64_t>& shape)
    : embedding_(options.integer("embedding")) {
  require_rank(kName, shape, 1, "[F] (one feature vector)");
  mlp_ = register_module("mlp", Mlp(MlpOptions(shape[0], embedding_)
                                        .hidden(options.integer("hidden"))
                                        .layers(options.integer("layers"))
                                        .dropout(options.probability("dropout"))));
}

torch::Tensor RadiomicsMlpEncoder::forward(const EncoderInput& input) {
  TORCH_CHECK(input.values.dim() == 2, "radiomics_mlp expects [N,F], got ", input.values.sizes());
  return mlp_->forward(input.values);
}

}  // namespace vbiopsy::encoders
