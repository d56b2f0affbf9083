#include "fusion/saliency.h"

#include "core/error.h"

namespace vbiopsy::fusion {

std::vector<torch::Tensor> case_saliency(MultimodalModel& model, const Batch& batch, int target_class) {
  if (batch.size() != 1) core::fail("saliency: one case at a time, got ", batch.size());
  model->eval();  // dropout off: the map explains the prediction that was made
  torch::AutoGradMode with_gradients(true);
  for (size_t m = 0; m < model->modality_count(); ++m) model->encoder(m).keep_saliency(true);
  const auto out = model->forward(batch);
  const auto score = torch::log(out.probabilities[0][target_class].clamp_min(1e-12));
  score.backward();
  std::vector<torch::Tensor> maps;
  for (size_t m = 0; m < model->modality_count(); ++m) {
    auto& encoder = model->encoder(m);
    const bool present = batch.present[0][static_cast<int64_t>(m)].item<bool>();
    const auto map = encoder.saliency_method().empty() || !present ? torch::Tensor() : encoder.saliency();
    maps.push_back(map.defined() ? map[0].detach().contiguous() : map);
    encoder.keep_saliency(false);
  }
  model->zero_grad();
  return maps;
}

}  // namespace vbiopsy::fusion
