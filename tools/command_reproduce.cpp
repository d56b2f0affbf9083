#include <iostream>

#include "experiments/reproduce.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_reproduce(const std::vector<std::string>& args) {
  std::string run_dir, into;
  std::vector<std::string> maps;
  po::options_description options("vbiopsy reproduce");
  options.add_options()("run", po::value(&run_dir)->required(), "the run directory to reproduce (its run.json)")(
      "into", po::value(&into), "where to rerun (default: RUN_DIR/reproduced)")(
      "map", po::value(&maps)->composing(),
      "OLD=NEW: read recorded inputs under folder OLD from folder NEW instead (repeatable); without it an input is "
      "looked "
      "for at its recorded path, then at its recorded path relative to the run folder");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy reproduce --run RUN_DIR [--into DIR] [--map OLD=NEW ...]"))
    return 0;
  if (into.empty()) into = run_dir + "/reproduced";
  std::vector<experiments::PathMap> path_maps;
  for (const auto& m : maps) path_maps.push_back(experiments::parse_path_map(m));
  const auto differences = experiments::reproduce_run(run_dir, into, std::cerr, path_maps);
  if (differences.empty()) {
    std::cout << "reproduced: predictions.csv and metrics.json are byte-identical (" << into << ")\n";
    return 0;
  }
  for (const auto& d : differences) std::cout << "difference: " << d << "\n";
  return 3;
}

}  // namespace vbiopsy::tools
