#include "tools/dispatch.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <new>

#include "core/error.h"
#include "core/runtime.h"

namespace vbiopsy::tools {
namespace {

void usage(std::ostream& out, const std::vector<Command>& commands) {
  out << "vbiopsy - virtual biopsy of HER2 status (zero / low / positive) from MG, US, MRI and clinical data\n\n"
         "usage: vbiopsy <command> [options]     (vbiopsy <command> --help for its options; vbiopsy "
         "--version)\n\ncommands:\n";
  for (const auto& c : commands)
    out << "  " << c.name << std::string(12 - std::string(c.name).size(), ' ') << c.help << "\n";
}

// Replaces this process by vbiopsy-learn from the same folder, with the same arguments (argv[0]
// stays "vbiopsy", so messages name the program the user ran). Returns only on failure.
int run_learning_program(char** argv) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  const auto program = (error ? std::filesystem::path(argv[0]) : self).parent_path() / "vbiopsy-learn";
  core::select_blas_kernels();  // read by OpenBLAS as vbiopsy-learn loads it
  execv(program.c_str(), argv);
  std::cerr << "vbiopsy " << argv[1] << ": error: cannot run " << program.string() << " (" << std::strerror(errno)
            << "); it is built with vbiopsy and must stay in the same folder\n";
  return 1;
}

}  // namespace

int dispatch(int argc, char** argv, const std::vector<Command>& commands) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? std::cerr : std::cout, commands);
    return argc < 2 ? 64 : 0;
  }
  const std::string name = argv[1];
  if (name == "--version") {
    std::cout << "vbiopsy " << VBIOPSY_VERSION << "\n";
    return 0;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : commands) {
    if (name != c.name) continue;
    if (!c.run) return run_learning_program(argv);
    try {
      return c.run(args);
    } catch (const std::bad_alloc&) {
      std::cerr
          << "vbiopsy " << name << ": error: out of memory: an allocation failed although image sizes and settings are "
          << "checked against the memory budget (VBIOPSY_MEMORY_BUDGET_MB, default half the physical memory), so the "
             "machine "
          << "has less free memory than that: free memory or set a lower budget, and rerun (finished work is reused)\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "vbiopsy " << name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "vbiopsy: unknown command '" << name << "'\n\n";
  usage(std::cerr, commands);
  return 64;
}

}  // namespace vbiopsy::tools
