#include <iostream>

#include "experiments/report.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

int run_report(const std::vector<std::string>& args) {
  ReportArgs a;
  if (!parse_command_line(args, a)) return 0;
  experiments::write_report(a.run);
  std::cout << a.run << "/report.html\n";
  return 0;
}

}  // namespace vbiopsy::tools
