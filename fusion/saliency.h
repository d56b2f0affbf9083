#pragma once
// Where an image encoder looked for one case's prediction, explaining the score log P(class):
// - encoders with their own method (encoders/nn/encoder.h; the ViT's attention rollout) give it;
// - the CNNs are explained by gradient x input (|d score / d pixel x pixel|, summed over the
//   channels): Grad-CAM on their last feature maps put almost none of its mass on a planted lesion
//   in our GroupNorm ResNets (they encode a bright region as suppressed activations, which
//   Grad-CAM's ReLU discards), gradient x input put 45% of it on a lesion of 8% of the image.
#include <string>
#include <vector>

#include "fusion/model.h"

namespace vbiopsy::fusion {

struct CaseSaliency {
  std::string method;  // "gradient x input" or the encoder's own (e.g. "attention rollout")
  torch::Tensor map;   // [K, H, W] (views, frames, slices) or [1, D, H, W] (a volume), max 1
};

// Per modality of the model, for the one case of `batch`: the map of an image encoder whose
// modality the case has; an undefined map otherwise. The model is left in evaluation mode with no
// gradients kept.
std::vector<CaseSaliency> case_saliency(MultimodalModel& model, const Batch& batch, int target_class);

}  // namespace vbiopsy::fusion
