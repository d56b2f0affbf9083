#include "experiments/config_check.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "encoders/nn/encoder.h"
#include "experiments/fitted_model.h"
#include "experiments/grid.h"
#include "experiments/image_inputs.h"
#include "fusion/fusion.h"
#include "fusion/head.h"
#include "fusion/learners/classifier.h"
#include "fusion/methods.h"
#include "fusion/model.h"
#include "fusion/stacking.h"
#include "fusion/submodels.h"
#include "fusion/training.h"
#include "encoders/nn/image_layouts.h"

namespace vbiopsy::experiments {

namespace {

constexpr int64_t kCheckedFeatureColumns = 8;  // any width: the encoders' options do not depend on it

OptionMap options_in(const std::map<std::string, OptionMap>& all, const std::string& key) {
  const auto it = all.find(key);
  return it == all.end() ? OptionMap{} : it->second;
}

class Problems {
 public:
  // Runs `check`; a core::Error it throws becomes a problem prefixed with `where`.
  void check(const std::string& where, const std::function<void()>& check) {
    try {
      check();
    } catch (const core::Error& e) {
      add(where.empty() ? std::string(e.what()) : where + ": " + e.what());
    } catch (const std::exception& e) {  // LibTorch's checks: their first line, without the stack trace
      const std::string what = e.what();
      add((where.empty() ? "" : where + ": ") + what.substr(0, what.find('\n')));
    }
  }
  size_t size() const { return list_.size(); }
  void add(const std::string& problem) {
    if (std::find(list_.begin(), list_.end(), problem) == list_.end()) list_.push_back(problem);
  }
  std::vector<std::string> take() { return std::move(list_); }

 private:
  std::vector<std::string> list_;
};

void check_inputs(const ExperimentConfig& config, Problems& problems) {
  auto file = [&](const char* key, const std::filesystem::path& path) {
    if (!path.empty() && !std::filesystem::is_regular_file(path))
      problems.add(core::concat("cohort.", key, " = ", path.string(), ": no such file"));
  };
  file("manifest", config.manifest);
  file("features", config.features);
  file("clinical", config.clinical);
  file("extract", config.extract);
  for (const auto& e : config.embeddings) file("embeddings", e);
}

// One modality's input as a network sees it: feature columns, or an image encoder's crop.
std::optional<fusion::ModalitySpec> modality_spec(const ExperimentConfig& config, const std::string& modality,
                                                  const std::string& encoder, Problems& problems) {
  const auto names = encoders::builtin_encoders().names();
  if (std::find(names.begin(), names.end(), encoder) == names.end()) {
    problems.add(core::concat("[encoder.", modality, "] name = ", encoder, ": unknown encoder",
                              core::did_you_mean(encoder, names), "; known: ", core::join(names, ", ")));
    return std::nullopt;
  }
  fusion::ModalitySpec spec{
      modality, encoder, encoder_options_for(config, modality, encoder), {kCheckedFeatureColumns}};
  if (encoders::is_image_encoder(encoder)) {
    bool ok = true;
    problems.check("", [&] {
      spec.sample_shape = ImageInputSpec::from(modality, encoder, encoders::image_layout(encoder, modality),
                                               options_in(config.image_options, modality))
                              .shape_from_settings()
                              .first;
    });
    for (const auto& p : spec.sample_shape) ok = ok && p > 0;
    if (!ok) return std::nullopt;
  }
  return spec;
}

// Built, and run once in training mode on two empty cases, so that the checks made only in the
// forward pass (shapes, dropout rates) speak too. Returns whether it was sound.
bool check_network(const fusion::ModelSpec& spec, const std::string& where, Problems& problems) {
  const size_t before = problems.size();
  problems.check(where, [&] {
    torch::NoGradGuard no_gradients;
    fusion::MultimodalModel model(spec);
    model->train();
    fusion::Batch batch;
    for (const auto& m : spec.modalities) {
      std::vector<int64_t> shape{2};
      shape.insert(shape.end(), m.sample_shape.begin(), m.sample_shape.end());
      batch.inputs.push_back({torch::zeros(shape), {}});
    }
    batch.present = torch::ones({2, static_cast<int64_t>(spec.modalities.size())}, torch::kBool);
    model->forward(batch);
  });
  return problems.size() == before;
}

}  // namespace

std::vector<std::string> check_experiment(const ExperimentConfig& config) {
  Problems problems;
  check_inputs(config, problems);
  problems.check("[training]", [&] { fusion::training_options_from(config.training); });
  fusion::HeadSpec head;
  problems.check("[head]", [&] { head = fusion::head_spec_from(config.head, {0, 1, 2}); });

  // Every encoder of every modality, alone behind early fusion: its own options and crop settings.
  std::map<std::string, std::vector<fusion::ModalitySpec>> inputs;  // per modality, one per encoder choice
  for (const auto& modality : config.modalities)
    for (const auto& encoder : encoder_choices(config, modality))
      if (auto spec = modality_spec(config, modality, encoder, problems)) {
        const fusion::ModelSpec alone{{*spec}, "early", {}, head};
        if (check_network(alone, "[encoder." + modality + "]", problems)) inputs[modality].push_back(*spec);
      }

  // Every method of the grid with its options, on every modality (first encoder choice of each).
  std::vector<std::string> methods;
  for (const auto& method : fusion::grid_methods()) methods.push_back(method.name);
  for (const auto& method : config.fusions) {
    auto options = options_in(config.fusion_options, method);
    const std::string where = "[fusion." + method + "]";
    const auto* known = fusion::find_grid_method(method);
    if (!known) {
      problems.add(core::concat("experiment.fusion has '", method, "': unknown method",
                                core::did_you_mean(method, methods), "; known: ", core::join(methods, ", ")));
    } else if (known->kind == fusion::MethodKind::kSubmodels) {
      problems.check(where, [&] { fusion::BinarySubmodels::options_from(options); });
    } else if (known->kind == fusion::MethodKind::kClassifier) {
      problems.check(where, [&] { fusion::make_classifier(method, options, 1, 1); });
    } else {
      fusion::ModelSpec spec{{}, method, {}, head};
      problems.check(where, [&] {
        const auto stacking = fusion::take_stacking_options(options);
        if (!stacking.learner.empty()) fusion::make_classifier(stacking.learner, stacking.learner_options, 1, 1);
      });
      spec.fusion_options = options;
      for (const auto& modality : config.modalities)
        if (!inputs[modality].empty()) spec.modalities.push_back(inputs[modality].front());
      if (!spec.modalities.empty()) check_network(spec, where, problems);
    }
  }
  for (const auto& [method, options] : config.fusion_options)
    if (std::find(config.fusions.begin(), config.fusions.end(), method) == config.fusions.end())
      problems.add(core::concat("[fusion.", method, "] configures a method that experiment.fusion does not list",
                                core::did_you_mean(method, config.fusions)));

  // Names that must be models of the grid.
  std::vector<std::string> models;
  problems.check("", [&] {
    for (const auto& cell : grid_cells(config)) models.push_back(cell.name);
  });
  auto model_named = [&](const char* key, const std::string& name) {
    if (!models.empty() && std::find(models.begin(), models.end(), name) == models.end())
      problems.add(
          core::concat("experiment.", key, " = ", name, ": not a model of the grid", core::did_you_mean(name, models)));
  };
  if (!config.reference.empty()) model_named("reference", config.reference);
  for (const auto& name : config.exports)
    if (name != "best" && name != "all" && name != "none") model_named("export", name);
  return problems.take();
}

}  // namespace vbiopsy::experiments
