#pragma once
// Shared option parsing for the subcommands: --help prints the description, unknown options and
// bad values throw core::Error with Boost's message.
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"

namespace vbiopsy::tools {

namespace po = boost::program_options;

// Returns false when --help was asked for (and printed).
inline bool parse_options(const std::vector<std::string>& args, po::options_description& options,
                          po::variables_map& values, const char* usage_line) {
  options.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(options).run(), values);
    if (values.count("help")) {
      std::cout << "usage: " << usage_line << "\n\n" << options << "\n";
      return false;
    }
    po::notify(values);
  } catch (const po::error& e) {
    core::fail(e.what(), " (see --help)");
  }
  return true;
}

}  // namespace vbiopsy::tools
