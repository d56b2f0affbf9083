#pragma once
// Where an image encoder looked for one case's prediction: each encoder's saliency (encoders/nn/
// encoder.h: Grad-CAM for the CNNs, attention rollout for the ViT), for the score log P(class).
#include <vector>

#include "fusion/model.h"

namespace vbiopsy::fusion {

// Per modality of the model: [K, spatial...] maps in [0, 1] over the encoder's input for the one
// case of `batch`, or an undefined tensor for encoders without a saliency. The model is left in
// evaluation mode with no gradients kept.
std::vector<torch::Tensor> case_saliency(MultimodalModel& model, const Batch& batch, int target_class);

}  // namespace vbiopsy::fusion
