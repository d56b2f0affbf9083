#include <iostream>

#include "cluster/job.h"
#include "experiments/config.h"
#include "experiments/config_check.h"
#include "experiments/grid.h"
#include "experiments/runner.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

int run_run(const std::vector<std::string>& args) {
  RunArgs a;
  if (!parse_command_line(args, a)) return 0;
  std::vector<std::string> problems;
  auto config = experiments::read_experiment_config(a.config, &problems);
  if (!a.manifest.empty()) config.manifest = a.manifest;
  if (!a.features.empty()) {
    config.features = a.features;
    config.extract.clear();  // the given features replace the config's own extraction
  }
  if (!a.extract_into.empty()) config.extract_into = a.extract_into;
  if (a.permute_labels) config.permute_labels = true;
  for (auto& p : experiments::check_experiment(config)) problems.push_back(a.config + ": " + p);
  if (!problems.empty()) {
    std::cerr << "vbiopsy run: " << problems.size() << " problem(s) in the config:\n";
    for (const auto& p : problems) std::cerr << "  " << p << "\n";
    return 2;
  }
  if (a.check) {
    std::cout << a.config << ": no problem found (" << experiments::grid_cells(config).size()
              << " models in the grid)\n";
    return 0;
  }
  if (a.out.empty()) throw po::error("the option '--out' is required but missing");
  return cluster::run_as_job([&] {
    // In an MPI job rank 0 speaks for the job (the other ranks' progress would interleave with it).
    std::ostream quiet(nullptr);
    const bool speaks = cluster::job().rank() == 0;
    const auto summary = experiments::run_experiment(config, a.out, speaks ? std::cerr : quiet);
    if (!speaks) return 0;
    std::cout << summary.cells << " models (" << summary.cells_reused << " reused) on " << summary.cases
              << " cases; best " << summary.best_model << " macro-AUC " << summary.best_macro_auc << "; results in "
              << a.out << "\n";
    return 0;
  });
}

}  // namespace vbiopsy::tools
