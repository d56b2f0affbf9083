#include <iostream>

#include "experiments/config.h"
#include "experiments/config_check.h"
#include "experiments/grid.h"
#include "experiments/runner.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_run(const std::vector<std::string>& args) {
  std::string config_path, out, manifest, features, extract_into;
  bool permute = false, check = false;
  po::options_description options("vbiopsy run");
  options.add_options()("config", po::value(&config_path)->required(),
                        "experiment config (INI); see experiments/demo.ini")(
      "out", po::value(&out), "run directory (a rerun resumes finished cells); required unless --check")(
      "check", po::bool_switch(&check),
      "check the whole config (sections, keys, methods, options, values, input files), report every problem, train "
      "nothing")("manifest", po::value(&manifest), "run the same experiment on another cohort manifest")(
      "features", po::value(&features), "that cohort's features.csv (from vbiopsy extract)")(
      "extract-into", po::value(&extract_into),
      "with [cohort] extract: where the features and their cache go (share it between runs)")(
      "permute-labels", po::bool_switch(&permute), "negative control: shuffle the labels (seeded)");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy run --config C.ini --out RUN_DIR [--manifest M --features F]"))
    return 0;
  std::vector<std::string> problems;
  auto config = experiments::read_experiment_config(config_path, &problems);
  if (!manifest.empty()) config.manifest = manifest;
  if (!features.empty()) {
    config.features = features;
    config.extract.clear();  // the given features replace the config's own extraction
  }
  if (!extract_into.empty()) config.extract_into = extract_into;
  if (permute) config.permute_labels = true;
  for (auto& p : experiments::check_experiment(config)) problems.push_back(config_path + ": " + p);
  if (!problems.empty()) {
    std::cerr << "vbiopsy run: " << problems.size() << " problem(s) in the config:\n";
    for (const auto& p : problems) std::cerr << "  " << p << "\n";
    return 2;
  }
  if (check) {
    std::cout << config_path << ": no problem found (" << experiments::grid_cells(config).size()
              << " models in the grid)\n";
    return 0;
  }
  if (out.empty()) throw po::error("the option '--out' is required but missing");
  const auto summary = experiments::run_experiment(config, out, std::cerr);
  std::cout << summary.cells << " models (" << summary.cells_reused << " reused) on " << summary.cases
            << " cases; best " << summary.best_model << " macro-AUC " << summary.best_macro_auc << "; results in "
            << out << "\n";
  return 0;
}

}  // namespace vbiopsy::tools
