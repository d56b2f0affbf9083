#include "tools/run_command.h"

#include <iostream>
#include <new>

#include "core/error.h"

namespace vbiopsy::tools {

int run_command(int argc, char** argv, const std::vector<Command>& commands) {
  const std::string name = argc >= 2 ? argv[1] : "";
  for (const auto& c : commands) {
    if (name != c.name) continue;
    try {
      return c.run(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const std::bad_alloc&) {
      std::cerr << "vbiopsy " << name
                << ": error: out of memory: an allocation failed although image sizes and settings are checked "
                   "against the memory budget (VBIOPSY_MEMORY_BUDGET_MB, default half the physical memory), so the "
                   "machine has less free memory than that: free memory or set a lower budget, and rerun (finished "
                   "work is reused)\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "vbiopsy " << name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << argv[0] << ": does not run '" << name << "'; run commands through vbiopsy\n";
  return 64;
}

}  // namespace vbiopsy::tools
