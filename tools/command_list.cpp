// `vbiopsy list`: every registered encoder (with the images it reads) and every fusion method of
// the grid (fusion/methods.h) with its options, plus the image, head and training options every
// model accepts: all generated from the registries.
#include <iostream>

#include "core/strings.h"
#include "encoders/nn/encoder.h"
#include "experiments/image_inputs.h"
#include "fusion/head.h"
#include "fusion/methods.h"
#include "fusion/training.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

namespace {

void print_options(const std::vector<core::OptionSpec>& specs, const char* indent) {
  for (const auto& spec : specs)
    std::cout << indent << spec.name << " = " << spec.default_value << "    " << spec.help << "\n";
}

void print_entry(const std::string& name, const std::string& help, const std::vector<core::OptionSpec>& options) {
  std::cout << "  " << name << " - " << help << "\n";
  print_options(options, "      ");
}

}  // namespace

int run_list(const std::vector<std::string>& args) {
  ListArgs a;
  if (!parse_command_line(args, a)) return 0;
  std::cout << "encoders ([encoder.<modality>] name):\n";
  std::vector<std::string> image_encoders;
  for (const auto* entry : encoders::builtin_encoders().entries()) {
    print_entry(entry->name, entry->help, entry->options);
    std::vector<std::string> reads;
    for (const auto layout : entry->traits.images)
      reads.push_back(
          core::concat(modalities::crop_layout_modality(layout), " (", modalities::crop_layout_name(layout), ")"));
    if (!reads.empty()) {
      std::cout << "      reads the images of " << core::join(reads, ", ") << "\n";
      image_encoders.push_back(entry->name);
    }
  }
  std::cout << "\nfusion methods (experiment.fusion):\n";
  for (const auto& method : fusion::grid_methods())
    print_entry(method.name, core::concat("[", fusion::method_kind_name(method.kind), "] ", method.help),
                method.options);
  std::cout << "\nimage inputs ([images.<modality>] of an experiment config; read by "
            << core::join(image_encoders, ", ") << "):\n";
  print_options(experiments::crop_option_specs(), "      ");
  std::cout << "\nheads (any fusion method):\n";
  print_options(fusion::head_option_specs(), "      ");
  std::cout << "\ntraining:\n";
  print_options(fusion::training_option_specs(), "      ");
  return 0;
}

}  // namespace vbiopsy::tools
