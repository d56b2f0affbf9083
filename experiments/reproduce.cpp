#include "experiments/reproduce.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "experiments/config.h"
#include "experiments/runner.h"

namespace vbiopsy::experiments {

namespace {

// The first line where two texts differ, for a readable report.
std::string first_difference(const std::string& file, const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (size_t line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(sa, la)), more_b = static_cast<bool>(std::getline(sb, lb));
    if (!more_a && !more_b) return "";
    if (!more_a || !more_b || la != lb)
      return core::concat(file, " differs from line ", line, ": recorded '", more_a ? la.substr(0, 120) : "<end>",
                          "', rerun '", more_b ? lb.substr(0, 120) : "<end>", "'");
  }
}

// The components of a path, without the empty one a trailing separator leaves.
std::vector<std::filesystem::path> components(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> out;
  for (const auto& part : path.lexically_normal())
    if (!part.empty()) out.push_back(part);
  return out;
}

// `path` under `prefix` (whole components), as the rest of the path; nullopt otherwise.
std::optional<std::filesystem::path> below(const std::filesystem::path& path, const std::filesystem::path& prefix) {
  const auto p = components(path), q = components(prefix);
  if (q.size() > p.size() || !std::equal(q.begin(), q.end(), p.begin())) return std::nullopt;
  std::filesystem::path rest;
  for (size_t i = q.size(); i < p.size(); ++i) rest /= p[i];
  return rest;
}

class InputFinder {
 public:
  InputFinder(std::filesystem::path run_dir, std::vector<PathMap> maps)
      : run_dir_(std::move(run_dir)), maps_(std::move(maps)) {}

  // `what` recorded at `absolute` and, when recorded, at `relative` to the run folder.
  std::filesystem::path find(const std::string& what, const std::string& absolute, const std::string& relative,
                             bool folder = false) const {
    if (absolute.empty()) return {};
    auto exists = [&](const std::filesystem::path& p) {
      return folder ? std::filesystem::is_directory(p) : std::filesystem::is_regular_file(p);
    };
    for (const auto& map : maps_)
      if (const auto rest = below(absolute, map.from)) {
        const auto mapped = rest->empty() ? map.to : map.to / *rest;
        if (!exists(mapped))
          core::fail("cannot reproduce: ", what, " ", absolute, " is mapped by --map ", map.from.string(), "=",
                     map.to.string(), " to ", mapped.string(), ", which does not exist");
        return mapped;
      }
    if (exists(absolute)) return absolute;
    if (!relative.empty() && exists(run_dir_ / relative)) return (run_dir_ / relative).lexically_normal();
    core::fail("cannot reproduce: ", what, " ", absolute, " is gone",
               relative.empty() ? "" : " (nor at " + (run_dir_ / relative).string() + ")",
               "; if the inputs moved, give --map OLD_FOLDER=NEW_FOLDER");
  }

 private:
  std::filesystem::path run_dir_;
  std::vector<PathMap> maps_;
};

}  // namespace

PathMap parse_path_map(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    core::fail("--map '", text, "': expected OLD_FOLDER=NEW_FOLDER");
  return {text.substr(0, equals), text.substr(equals + 1)};
}

std::vector<std::string> reproduce_run(const std::filesystem::path& run_dir, const std::filesystem::path& into,
                                       std::ostream& log, const std::vector<PathMap>& maps) {
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(core::read_text_file(run_dir / "run.json"));
  } catch (const nlohmann::json::exception& e) {
    core::fail(run_dir.string(), "/run.json: ", e.what());
  }
  const InputFinder finder(std::filesystem::absolute(run_dir), maps);
  const auto relative = record.value("relative_to_run", nlohmann::json::object());
  auto find = [&](const char* what, const char* key, bool folder = false) {
    return finder.find(what, record.at(key).get<std::string>(), relative.value(key, ""), folder);
  };
  // The config's folder only resolves paths the record does not override, so a missing one is no error.
  std::filesystem::path config_dir = record.at("config_dir").get<std::string>();
  try {
    config_dir = find("config folder", "config_dir", true);
  } catch (const core::Error&) {
  }
  auto config = parse_experiment_config(record.at("config_text").get<std::string>(),
                                        record.at("config_file").get<std::string>(), config_dir);
  config.manifest = find("manifest", "manifest");
  config.features = find("features", "features");
  config.extract.clear();  // the recorded features are the input: the models are what is reproduced
  config.clinical = find("clinical table", "clinical");
  config.permute_labels = record.at("permute_labels").get<bool>();
  std::vector<std::string> differences;
  auto check_input = [&](const char* what, const std::filesystem::path& path, const std::string& recorded) {
    if (!path.empty() && core::sha256_hex(core::read_text_file(path)) != recorded)
      differences.push_back(core::concat(what, " ", path.string(), " changed since the run (SHA-256 differs)"));
  };
  check_input("manifest", config.manifest, record.at("manifest_sha256"));
  check_input("features", config.features, record.at("features_sha256"));
  check_input("clinical table", config.clinical, record.at("clinical_sha256"));
  config.embeddings.clear();
  const auto embeddings = record.value("embeddings", nlohmann::json::array());
  const auto relative_embeddings = relative.value("embeddings", nlohmann::json::array());
  for (size_t i = 0; i < embeddings.size(); ++i) {
    const auto& e = embeddings[i];
    config.embeddings.push_back(
        finder.find("embeddings", e.at("path").get<std::string>(),
                    i < relative_embeddings.size() ? relative_embeddings[i].get<std::string>() : ""));
    check_input("embeddings", config.embeddings.back(), e.at("sha256"));
  }
  if (std::filesystem::exists(into))
    core::fail("cannot reproduce into ", into.string(), ": it exists; give a new directory");
  run_experiment(config, into, log);
  for (const char* file : {"predictions.csv", "metrics.json"}) {
    const auto difference =
        first_difference(file, core::read_text_file(run_dir / file), core::read_text_file(into / file));
    if (!difference.empty()) differences.push_back(difference);
  }
  return differences;
}

}  // namespace vbiopsy::experiments
