#include <iostream>

#include "experiments/report.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_report(const std::vector<std::string>& args) {
  std::string run_dir;
  po::options_description options("vbiopsy report");
  options.add_options()("run", po::value(&run_dir)->required(), "a run directory written by vbiopsy run");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy report --run RUN_DIR")) return 0;
  experiments::write_report(run_dir);
  std::cout << run_dir << "/report.html\n";
  return 0;
}

}  // namespace vbiopsy::tools
