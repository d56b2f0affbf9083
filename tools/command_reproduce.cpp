#include <iostream>

#include "experiments/runner.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_reproduce(const std::vector<std::string>& args) {
  std::string run_dir, into;
  po::options_description options("vbiopsy reproduce");
  options.add_options()
      ("run", po::value(&run_dir)->required(), "the run directory to reproduce (its run.json)")
      ("into", po::value(&into), "where to rerun (default: RUN_DIR/reproduced)");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy reproduce --run RUN_DIR [--into DIR]")) return 0;
  if (into.empty()) into = run_dir + "/reproduced";
  const auto differences = experiments::reproduce_run(run_dir, into, std::cerr);
  if (differences.empty()) {
    std::cout << "reproduced: predictions.csv and metrics.json are byte-identical (" << into << ")\n";
    return 0;
  }
  for (const auto& d : differences) std::cout << "difference: " << d << "\n";
  return 3;
}

}  // namespace vbiopsy::tools
