#pragma once
// `vbiopsy reproduce`: reruns a run from its run.json (config text, inputs, seed, threads, label
// permutation) into `into` and compares the bytes of predictions.csv and metrics.json.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace vbiopsy::experiments {

// OLD=NEW: a recorded input path under the folder OLD is read under NEW instead.
struct PathMap {
  std::filesystem::path from, to;
};
PathMap parse_path_map(const std::string& text);  // "OLD=NEW"

// Finds each recorded input: under a --map that matches it, else at its recorded absolute path,
// else at its recorded path relative to the run folder (a run moved together with its data).
// Returns the differences found (empty when identical); inputs whose SHA-256 changed are reported
// as such; an input found nowhere is an error that names every place tried.
std::vector<std::string> reproduce_run(const std::filesystem::path& run_dir, const std::filesystem::path& into,
                                       std::ostream& log, const std::vector<PathMap>& maps = {});

}  // namespace vbiopsy::experiments
