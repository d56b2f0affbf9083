// `vbiopsy list`: every registered encoder, fusion method and classifier with its options, plus
// the head and training options every model accepts.
#include <iostream>

#include "encoders/nn/encoder.h"
#include "experiments/image_inputs.h"
#include "fusion/fusion.h"
#include "fusion/head.h"
#include "fusion/learners/classifier.h"
#include "fusion/training.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

namespace {

void print_options(const std::vector<core::OptionSpec>& specs, const char* indent) {
  for (const auto& spec : specs)
    std::cout << indent << spec.name << " = " << spec.default_value << "    " << spec.help << "\n";
}

template <typename Registry>
void print_registry(const char* title, const Registry& registry) {
  std::cout << title << ":\n";
  for (const auto* entry : registry.entries()) {
    std::cout << "  " << entry->name << " - " << entry->help << "\n";
    print_options(entry->options, "      ");
  }
  std::cout << "\n";
}

}  // namespace

int run_list(const std::vector<std::string>& args) {
  po::options_description options("vbiopsy list");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy list")) return 0;
  print_registry("encoders", encoders::builtin_encoders());
  print_registry("fusion methods", fusion::builtin_fusions());
  print_registry("classifiers", fusion::builtin_classifiers());
  std::cout << "in experiment configs also:\n"
               "  submodels - DM-VBS: per modality two binary classifiers (positive vs not, zero vs not) combined by a meta-learner\n"
               "      learner = logistic    the binary classifier (any classifier above); learner_<option> its options\n"
               "      meta = xgboost    the meta-learner; meta_<option> its options\n"
               "      inner_folds = 3    inner folds for the meta-learner's out-of-fold inputs\n"
               "  late with combine = stacking also takes stacking_learner (logistic), stacking_folds (3), stacking_<option>\n\n";
  std::cout << "image inputs ([images.<modality>] of an experiment config; read by cnn2d for mg and us, cnn3d, vit2d\n"
               "or cnn2d for mri):\n";
  print_options(experiments::crop_option_specs(), "      ");
  std::cout << "\nheads (any fusion method):\n";
  print_options(fusion::head_option_specs(), "      ");
  std::cout << "\ntraining:\n";
  print_options(fusion::training_option_specs(), "      ");
  return 0;
}

}  // namespace vbiopsy::tools
