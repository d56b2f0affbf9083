#include "fusion/saliency.h"

#include "core/error.h"

namespace vbiopsy::fusion {

std::vector<CaseSaliency> case_saliency(MultimodalModel& model, const Batch& batch, int target_class) {
  if (batch.size() != 1) core::fail("saliency: one case at a time, got ", batch.size());
  model->eval();  // dropout off: the map explains the prediction that was made
  torch::AutoGradMode with_gradients(true);
  auto inputs = batch;
  std::vector<bool> explained(model->modality_count());
  for (size_t m = 0; m < model->modality_count(); ++m) {
    auto& encoder = model->encoder(m);
    explained[m] = encoder.spatial_dims() > 0 && batch.present[0][static_cast<int64_t>(m)].item<bool>();
    if (!explained[m]) continue;
    encoder.keep_saliency(true);
    inputs.inputs[m].values = batch.inputs[m].values.detach().clone().set_requires_grad(true);
  }
  const auto out = model->forward(inputs);
  torch::log(out.probabilities[0][target_class].clamp_min(1e-12)).backward();
  std::vector<CaseSaliency> maps(model->modality_count());
  for (size_t m = 0; m < model->modality_count(); ++m) {
    auto& encoder = model->encoder(m);
    if (!explained[m]) continue;
    if (!encoder.saliency_method().empty()) {
      maps[m] = {encoder.saliency_method(), encoder.saliency()[0].detach().contiguous()};
    } else {
      const auto& x = inputs.inputs[m].values;
      // [1, K, C, H, W] (views, frames, slices) -> [K, H, W]; [1, C, D, H, W] (a volume) -> [1, D, H, W].
      const auto attribution = (x.grad() * x).abs().detach()[0];
      const auto map = encoder.spatial_dims() == 3 ? attribution.sum(0, true) : attribution.sum(1);
      const auto flat = map.flatten(1);
      maps[m] = {"gradient x input",
                 (flat / std::get<0>(flat.max(1, true)).clamp_min(1e-12)).view(map.sizes()).contiguous()};
    }
    encoder.keep_saliency(false);
  }
  model->zero_grad();
  return maps;
}

}  // namespace vbiopsy::fusion
