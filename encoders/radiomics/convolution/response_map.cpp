#include "encoders/radiomics/convolution/response_map.h"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <numbers>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/ini.h"
#include "core/strings.h"
#include "encoders/radiomics/convolution/families.h"
#include "encoders/radiomics/convolution/wavelet_filters.h"

namespace vbiopsy::encoders::radiomics::convolution {

namespace {

std::string upper(std::string text) {
  for (char& c : text) c = char(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

Pooling pooling_named(const std::string& name) {
  const std::string n = core::to_lower(name);
  if (n == "none") return Pooling::kNone;
  if (n == "max") return Pooling::kMax;
  if (n == "average" || n == "mean") return Pooling::kAverage;
  core::fail("'", name, "' is not none, max or average");
}

struct Key {
  std::set<std::string> families;
  std::function<void(FilterSpec&, const std::string&)> set;
};

double finite(const std::string& text) {
  const auto v = core::parse_double(text);
  if (!v || !std::isfinite(*v)) core::fail("'", text, "' is not a finite number");
  return *v;
}
double positive(const std::string& text) {
  const double v = finite(text);
  if (!(v > 0)) core::fail("'", text, "' must be positive");
  return v;
}
long whole(const std::string& text, long lo, long hi) {
  const auto v = core::parse_int(text);
  if (!v || *v < lo || *v > hi) core::fail("'", text, "' is not a whole number from ", lo, " to ", hi);
  return long(*v);
}

const std::map<std::string, Key>& keys() {
  static const std::map<std::string, Key> table = {
      {"dimensions",
       {{"mean", "log", "laws", "wavelet", "simoncelli"},
        [](FilterSpec& s, const std::string& v) { s.dimensions = int(whole(v, 2, 3)); }}},
      {"padding",
       {{"mean", "log", "laws", "gabor", "wavelet"},
        [](FilterSpec& s, const std::string& v) { s.padding = padding_named(v); }}},
      {"rotation_pooling",
       {{"laws", "gabor", "wavelet"},
        [](FilterSpec& s, const std::string& v) { s.rotation_pooling = pooling_named(v); }}},
      {"support",
       {{"mean"},
        [](FilterSpec& s, const std::string& v) {
          s.support = size_t(whole(v, 1, 999));
          if (s.support % 2 == 0) core::fail("'", v, "' is not odd");
        }}},
      {"sigma_mm", {{"log", "gabor"}, [](FilterSpec& s, const std::string& v) { s.sigma_mm = positive(v); }}},
      {"truncate", {{"log"}, [](FilterSpec& s, const std::string& v) { s.truncate = positive(v); }}},
      {"kernel",
       {{"laws"},
        [](FilterSpec& s, const std::string& v) {
          s.kernel = upper(core::trim(v));
          laws_dimensions(s.kernel);  // a malformed name fails here
        }}},
      {"energy_distance",
       {{"laws"}, [](FilterSpec& s, const std::string& v) { s.energy_distance = size_t(whole(v, 1, 499)); }}},
      {"wavelength_mm", {{"gabor"}, [](FilterSpec& s, const std::string& v) { s.wavelength_mm = positive(v); }}},
      {"aspect_ratio", {{"gabor"}, [](FilterSpec& s, const std::string& v) { s.aspect_ratio = positive(v); }}},
      {"orientation_deg", {{"gabor"}, [](FilterSpec& s, const std::string& v) { s.orientation_deg = finite(v); }}},
      {"orientation_step_deg",
       {{"gabor"},
        [](FilterSpec& s, const std::string& v) {
          s.orientation_step_deg = positive(v);
          if (s.orientation_step_deg > 360) core::fail("'", v, "' is more than 360");
        }}},
      {"planes",
       {{"gabor"},
        [](FilterSpec& s, const std::string& v) {
          const std::string p = core::to_lower(v);
          if (p != "axial" && p != "orthogonal") core::fail("'", v, "' is not axial or orthogonal");
          s.orthogonal_planes = p == "orthogonal";
        }}},
      {"wavelet",
       {{"wavelet"},
        [](FilterSpec& s, const std::string& v) {
          s.wavelet = core::to_lower(core::trim(v));
          wavelet_low_pass(s.wavelet);  // an unknown wavelet fails here
        }}},
      {"bands",
       {{"wavelet"},
        [](FilterSpec& s, const std::string& v) {
          s.bands = upper(core::trim(v));
          if ((s.bands.size() != 2 && s.bands.size() != 3) || s.bands.find_first_not_of("LH") != std::string::npos)
            core::fail("'", v, "' is not one L or H per axis, x first (e.g. LHL, or LH in a plane)");
        }}},
      {"riesz_order",
       {{"log", "simoncelli"},
        [](FilterSpec& s, const std::string& v) {
          const auto parts = core::split(v, ',');
          if (parts.size() != 3) core::fail("'", v, "' is not three orders (x, y, z), e.g. 1,0,0");
          for (size_t a = 0; a < 3; ++a) s.riesz_order[a] = int(whole(core::trim(parts[a]), 0, 8));
        }}},
      {"level",
       {{"wavelet", "simoncelli"}, [](FilterSpec& s, const std::string& v) { s.level = int(whole(v, 1, 8)); }}},
  };
  return table;
}

// What each family cannot do without.
// What each family cannot do without, and the dimensions its kernel or bands imply (given
// dimensions that contradict them are an error, not overridden).
void check_complete(FilterSpec& s, bool dimensions_given, const std::string& source) {
  auto need = [&](bool ok, const char* key) {
    if (!ok) core::fail(source, " ", key, " is required for filter = ", s.family);
  };
  if (s.family == "mean") need(s.support > 0, "support");
  if (s.family == "log" || s.family == "gabor") need(s.sigma_mm > 0, "sigma_mm");
  if (s.family == "laws") need(!s.kernel.empty(), "kernel");
  if (s.family == "gabor") need(s.wavelength_mm > 0, "wavelength_mm");
  if (s.family == "gabor" && s.rotation_pooling != Pooling::kNone)
    need(s.orientation_step_deg > 0, "orientation_step_deg (with rotation_pooling)");
  if (s.family == "wavelet") need(!s.wavelet.empty() && !s.bands.empty(), "wavelet and bands");
  int implied = 0;
  if (s.family == "laws") implied = laws_dimensions(s.kernel);
  if (s.family == "wavelet") implied = int(s.bands.size());
  if (implied && dimensions_given && s.dimensions != implied)
    core::fail(source, " dimensions = ", s.dimensions, " contradicts ",
               s.family == "laws" ? "kernel " + s.kernel : "bands " + s.bands, ", which is ", implied, "-dimensional");
  if (implied) s.dimensions = implied;
  if (s.dimensions == 2 && s.riesz_order[2] != 0)
    core::fail(source, " riesz_order has a z order in a 2-dimensional filter");
}

}  // namespace

FilterSpec filter_spec_from(const std::vector<std::pair<std::string, std::string>>& entries, const std::string& where) {
  FilterSpec spec;
  for (const auto& [key, value] : entries)
    if (key == "filter") spec.family = core::to_lower(core::trim(value));
  const std::set<std::string> families = {"mean", "log", "laws", "gabor", "wavelet", "simoncelli"};
  if (!families.count(spec.family))
    core::fail(where, " filter = '", spec.family, "' is not one of mean, log, laws, gabor, wavelet, simoncelli");
  for (const auto& [key, value] : entries) {
    if (key == "filter") continue;
    const auto it = keys().find(key);
    if (it == keys().end()) {
      std::vector<std::string> known{"filter"};
      for (const auto& [name, k] : keys()) known.push_back(name);
      core::fail(where, " ", key, " is not a filter setting", core::did_you_mean(key, known));
    }
    if (!it->second.families.count(spec.family))
      core::fail(where, " ", key, " does not apply to filter = ", spec.family);
    try {
      it->second.set(spec, core::trim(value));
    } catch (const core::Error& e) {
      core::fail(where, " ", key, ": ", e.what());
    }
  }
  bool dimensions_given = false;
  for (const auto& entry : entries) dimensions_given = dimensions_given || entry.first == "dimensions";
  check_complete(spec, dimensions_given, where);
  return spec;
}

FilterSpec read_filter_spec(const std::filesystem::path& ini) {
  const std::string text = core::read_text_file(ini);
  core::require_utf8(text, ini.string());
  core::require_keys_in_sections(text, ini.string(), "[filter]");
  boost::property_tree::ptree tree;
  try {
    std::istringstream stream(text);
    boost::property_tree::read_ini(stream, tree);
  } catch (const boost::property_tree::ini_parser_error& e) {
    core::fail(ini.string(), ": not a readable INI file: ", e.message(), " (line ", e.line(), ")");
  }
  for (const auto& [section, entries] : tree)
    if (section != "filter")
      core::fail(ini.string(), ": section [", section, "] is not known; the filter is described in [filter]");
  const auto section = tree.get_child_optional("filter");
  if (!section) core::fail(ini.string(), ": no [filter] section");
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [key, node] : *section) entries.emplace_back(key, node.data());
  return filter_spec_from(entries, ini.string() + ": [filter]");
}

std::string write_filter_spec(const FilterSpec& s) {
  std::string text;
  auto line = [&](const std::string& key, const std::string& value) { text += key + " = " + value + "\n"; };
  auto number = [](double v) { return core::format_double(v); };
  const char* pooling = s.rotation_pooling == Pooling::kMax       ? "max"
                        : s.rotation_pooling == Pooling::kAverage ? "average"
                                                                  : "none";
  line("filter", s.family);
  if (s.family != "gabor") line("dimensions", std::to_string(s.dimensions));
  if (s.family != "simoncelli") line("padding", padding_name(s.padding));
  if (s.family == "mean") line("support", std::to_string(s.support));
  if (s.family == "log" || s.family == "gabor") line("sigma_mm", number(s.sigma_mm));
  if (s.family == "log") line("truncate", number(s.truncate));
  if (s.family == "laws") {
    line("kernel", s.kernel);
    if (s.energy_distance > 0) line("energy_distance", std::to_string(s.energy_distance));
  }
  if (s.family == "laws" || s.family == "wavelet" || s.family == "gabor") line("rotation_pooling", pooling);
  if (s.family == "gabor") {
    line("wavelength_mm", number(s.wavelength_mm));
    line("aspect_ratio", number(s.aspect_ratio));
    if (s.rotation_pooling == Pooling::kNone)
      line("orientation_deg", number(s.orientation_deg));
    else
      line("orientation_step_deg", number(s.orientation_step_deg));
    line("planes", s.orthogonal_planes ? "orthogonal" : "axial");
  }
  if (s.family == "wavelet") {
    line("wavelet", s.wavelet);
    line("bands", s.bands);
  }
  if (s.family == "wavelet" || s.family == "simoncelli") line("level", std::to_string(s.level));
  if ((s.family == "log" || s.family == "simoncelli") && s.riesz_order != std::array<int, 3>{0, 0, 0})
    line("riesz_order", std::to_string(s.riesz_order[0]) + "," + std::to_string(s.riesz_order[1]) + "," +
                            std::to_string(s.riesz_order[2]));
  return text;
}

namespace {

// Responses pooled voxel by voxel.
class Pool {
 public:
  explicit Pool(Pooling pooling) : pooling_(pooling) {}
  void add(const Grid& response) {
    ++count_;
    if (pooled_.empty()) {
      pooled_ = response;
      return;
    }
    for (size_t i = 0; i < pooled_.voxels.size(); ++i)
      pooled_.voxels[i] = pooling_ == Pooling::kMax ? std::max(pooled_.voxels[i], response.voxels[i])
                                                    : pooled_.voxels[i] + response.voxels[i];
  }
  Grid result() {
    if (pooling_ == Pooling::kAverage)
      for (double& v : pooled_.voxels) v /= double(count_);
    return std::move(pooled_);
  }

 private:
  Pooling pooling_;
  Grid pooled_;
  size_t count_ = 0;
};

// filter made rotation invariant: applied to each right-angle rotation of the image, each result
// rotated back, pooled.
Grid rotation_pooled(const Grid& in, int dimensions, Pooling pooling, const std::function<Grid(const Grid&)>& filter) {
  if (pooling == Pooling::kNone) return filter(in);
  Pool pool(pooling);
  for (const auto& r : right_angle_rotations(dimensions)) pool.add(unrotate(filter(rotate(in, r)), r));
  return pool.result();
}

// Pooled over the orientations 0, step, ... below 360 degrees (or the single orientation).
Grid gabor_orientations(const Grid& in, const FilterSpec& s) {
  const double degree = std::numbers::pi / 180;
  if (s.rotation_pooling == Pooling::kNone)
    return gabor_filter(in, s.sigma_mm, s.wavelength_mm, s.aspect_ratio, s.orientation_deg * degree, s.padding);
  Pool pool(s.rotation_pooling);
  for (double theta = 0; theta < 360 - 1e-9; theta += s.orientation_step_deg)
    pool.add(gabor_filter(in, s.sigma_mm, s.wavelength_mm, s.aspect_ratio, theta * degree, s.padding));
  return pool.result();
}

Grid gabor(const Grid& in, const FilterSpec& s) {
  if (!s.orthogonal_planes) return gabor_orientations(in, s);
  // The coronal (x, z) and sagittal (y, z) planes brought to (x, y), filtered, and brought back.
  const Rotation coronal{{0, 2, 1}, {false, false, false}}, sagittal{{1, 2, 0}, {false, false, false}};
  Pool pool(Pooling::kAverage);
  pool.add(gabor_orientations(in, s));
  for (const auto& r : {coronal, sagittal}) pool.add(unrotate(gabor_orientations(rotate(in, r), s), r));
  return pool.result();
}

}  // namespace

Grid response_map(const Grid& in, const FilterSpec& s) {
  const bool riesz = s.riesz_order[0] + s.riesz_order[1] + s.riesz_order[2] > 0;
  if (s.family == "mean") return mean_filter(in, s.support, s.dimensions, s.padding);
  if (s.family == "log") {
    Grid response = laplacian_of_gaussian(in, s.sigma_mm, s.truncate, s.dimensions, s.padding);
    return riesz ? riesz_transform(response, s.riesz_order, s.dimensions) : response;
  }
  if (s.family == "simoncelli") {
    Grid response = simoncelli_filter(in, s.level, s.dimensions);
    return riesz ? riesz_transform(response, s.riesz_order, s.dimensions) : response;
  }
  if (s.family == "gabor") return gabor(in, s);
  if (s.family == "wavelet")
    return rotation_pooled(in, s.dimensions, s.rotation_pooling,
                           [&](const Grid& g) { return wavelet_filter(g, s.wavelet, s.bands, s.level, s.padding); });
  if (s.family == "laws") {
    Grid response = rotation_pooled(in, s.dimensions, s.rotation_pooling,
                                    [&](const Grid& g) { return laws_filter(g, s.kernel, s.padding); });
    if (s.energy_distance == 0) return response;
    for (double& v : response.voxels) v = std::abs(v);
    return mean_filter(response, 2 * s.energy_distance + 1, s.dimensions, s.padding);
  }
  core::fail("filter '", s.family, "' is not one of mean, log, laws, gabor, wavelet, simoncelli");
}

core::Image response_map(const core::Image& image, const FilterSpec& spec) {
  return to_image(response_map(to_grid(image), spec));
}

}  // namespace vbiopsy::encoders::radiomics::convolution
