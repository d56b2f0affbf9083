#include "encoders/radiomics/settings.h"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::encoders::radiomics {
namespace fs = std::filesystem;

ExtractionSettings default_settings() {
  ExtractionSettings s;
  s.discretisation.method = Discretisation::kFixedBinSize;
  s.discretisation.bin_size = 25;
  return s;
}

ExtractionSettings read_settings(const fs::path& ini, const std::set<std::string>& other_sections) {
  boost::property_tree::ptree tree;
  try {
    boost::property_tree::read_ini(ini.string(), tree);
  } catch (const boost::property_tree::ini_parser_error& e) {
    core::fail(ini.string(), ": not a readable INI file: ", e.message(), " (line ", e.line(), ")");
  }
  ExtractionSettings s = default_settings();
  auto number = [&](const std::string& key, const std::string& text) {
    auto v = core::parse_double(text);
    if (!v) core::fail(ini.string(), ": ", key, " = '", text, "' is not a number");
    return *v;
  };
  bool count_given = false, width_given = false;
  for (const auto& [section, entries] : tree) {
    if (other_sections.count(section)) continue;
    for (const auto& [key, node] : entries) {
      const std::string value = core::trim(node.data());
      const std::string where = section + "." + key;
      if (section == "setting" && key == "label") s.label = static_cast<int>(number(where, value));
      else if (section == "setting" && key == "binWidth") {
        s.discretisation.bin_size = number(where, value);
        width_given = true;
      } else if (section == "setting" && key == "binCount") {
        s.discretisation.bin_number = static_cast<int>(number(where, value));
        s.discretisation.method = Discretisation::kFixedBinNumber;
        count_given = true;
      } else if (section == "setting" && key == "discretisation") {
        const std::string v = core::to_lower(value);
        if (v == "fbs") s.discretisation.method = Discretisation::kFixedBinSize;
        else if (v == "fbn") s.discretisation.method = Discretisation::kFixedBinNumber;
        else if (v == "none") s.discretisation.method = Discretisation::kNone;
        else core::fail(ini.string(), ": ", where, " = '", value, "' is not fbs, fbn or none");
      } else if (section == "setting" && key == "voxelArrayShift") {
        s.voxel_array_shift = number(where, value);
      } else if (section == "setting" && key == "maxGreyLevels") {
        s.discretisation.max_levels = static_cast<int>(number(where, value));
      } else if (section == "features" && key == "families") {
        for (auto& family : core::split(value, ',')) s.families.insert(core::trim(family));
      } else {
        core::fail(ini.string(), ": unknown key '", where,
                   "'; known: setting.label, setting.binWidth, setting.binCount, setting.discretisation, "
                   "setting.maxGreyLevels, setting.voxelArrayShift, features.families");
      }
    }
  }
  if (count_given && width_given) core::fail(ini.string(), ": give binWidth or binCount, not both");
  return s;
}

PyRadiomicsSettings pyradiomics_settings(const ExtractionSettings& settings) {
  if (settings.discretisation.method != Discretisation::kFixedBinSize)
    core::fail("the PyRadiomics convention is implemented for binWidth (fixed bin size) only");
  PyRadiomicsSettings p;
  p.label = settings.label;
  p.bin_width = settings.discretisation.bin_size;
  p.voxel_array_shift = settings.voxel_array_shift;
  return p;
}

}  // namespace vbiopsy::encoders::radiomics
