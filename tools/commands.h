#pragma once
// The `vbiopsy` subcommands. Each parses its own options (Boost.Program_options), calls the
// libraries and returns the process exit code; errors propagate to main.
#include <string>
#include <vector>

namespace vbiopsy::tools {

int run_synth(const std::vector<std::string>& args);
int run_validate(const std::vector<std::string>& args);
int run_radiomics(const std::vector<std::string>& args);
int run_filter(const std::vector<std::string>& args);
int run_extract(const std::vector<std::string>& args);
int run_list(const std::vector<std::string>& args);
int run_run(const std::vector<std::string>& args);
int run_predict(const std::vector<std::string>& args);
int run_reproduce(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);

}  // namespace vbiopsy::tools
