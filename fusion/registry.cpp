#include "fusion/builtin.h"
#include "fusion/fusion.h"

namespace vbiopsy::fusion {

void register_builtin_fusions(FusionRegistry& registry) {
  add_fusion<EarlyFusion>(registry);
  add_fusion<LateFusion>(registry);
  add_fusion<AttentionFusion>(registry);
  add_fusion<GatedFusion>(registry);
}

const FusionRegistry& builtin_fusions() {
  static const FusionRegistry registry("fusion method", register_builtin_fusions);
  return registry;
}

std::shared_ptr<Fusion> make_fusion(const std::string& name, const std::map<std::string, std::string>& options,
                                    const std::vector<int64_t>& embedding_dims, const HeadSpec& head) {
  if (embedding_dims.empty()) core::fail("fusion method '", name, "' needs at least one modality");
  return builtin_fusions().create(name, options, embedding_dims, head);
}

int64_t check_fusion_input(const char* method, const FusionInput& input, const std::vector<int64_t>& dims) {
  TORCH_CHECK(input.embeddings.size() == dims.size(), method, " fusion was built for ", dims.size(),
              " modalities, got ", input.embeddings.size());
  const int64_t n = input.embeddings.front().size(0);
  for (size_t m = 0; m < dims.size(); ++m)
    TORCH_CHECK(
        input.embeddings[m].dim() == 2 && input.embeddings[m].size(0) == n && input.embeddings[m].size(1) == dims[m],
        method, " fusion: modality ", m, " embedding must be [", n, ",", dims[m], "], got ",
        input.embeddings[m].sizes());
  TORCH_CHECK(input.present.dim() == 2 && input.present.size(0) == n &&
                  input.present.size(1) == static_cast<int64_t>(dims.size()),
              method, " fusion: presence mask must be [", n, ",", dims.size(), "], got ", input.present.sizes());
  return n;
}

std::vector<torch::Tensor> zero_absent(const FusionInput& input) {
  std::vector<torch::Tensor> out;
  const auto present = input.present.to(torch::kBool);
  for (size_t m = 0; m < input.embeddings.size(); ++m) {
    const auto& e = input.embeddings[m];
    const auto keep = present.select(1, static_cast<int64_t>(m));
    out.push_back(keep.all().item<bool>() ? e : torch::where(keep.unsqueeze(1), e, torch::zeros_like(e)));
  }
  return out;
}

}  // namespace vbiopsy::fusion
