#include "extraction/settings.h"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "encoders/radiomics/settings.h"

namespace vbiopsy::extraction {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kRegionKeys = {"regions.rings_mm", "regions.retest"};
const std::vector<std::string> kMriKeys = {
    "mri.sequences", "mri.kinetics", "mri.register",       "mri.tofts",      "mri.extended",
    "mri.t10_s",     "mri.tr_s",     "mri.flip_angle_deg", "mri.relaxivity", "mri.injection_time_s"};
const std::vector<std::string> kHabitatKeys = {"habitats.enabled", "habitats.maps",   "habitats.min",
                                               "habitats.max",     "habitats.fixed",  "habitats.criterion",
                                               "habitats.seed",    "habitats.ring_mm"};

[[noreturn]] void unknown_key(const fs::path& ini, const std::string& where, const std::vector<std::string>& known) {
  core::fail(ini.string(), ": unknown key '", where, "'", core::did_you_mean(where, known),
             "; known: ", core::join(known, ", "));
}

}  // namespace

std::vector<std::string> cohort_setting_keys() {
  std::vector<std::string> keys = encoders::radiomics::setting_keys();
  for (const auto* list : {&kRegionKeys, &kMriKeys, &kHabitatKeys}) keys.insert(keys.end(), list->begin(), list->end());
  return keys;
}

CohortExtractionSettings read_cohort_extraction_settings(const fs::path& ini) {
  CohortExtractionSettings s;
  s.radiomics = encoders::radiomics::read_settings(ini, {"regions", "mri", "habitats"});
  boost::property_tree::ptree tree;
  boost::property_tree::read_ini(ini.string(), tree);  // readable: read_settings parsed it
  auto flag = [&](const std::string& where, const std::string& value) {
    const std::string v = core::to_lower(core::trim(value));
    if (v != "true" && v != "false") core::fail(ini.string(), ": ", where, " = '", value, "' is not true or false");
    return v == "true";
  };
  if (auto mri = tree.get_child_optional("mri")) {
    for (const auto& entry : *mri) {
      const auto& key = entry.first;  // named, not a structured binding: lambdas below capture them
      const auto& node = entry.second;
      auto number = [&] {
        auto v = core::parse_double(node.data());
        if (!v || !std::isfinite(*v) || (!(*v > 0) && key != "injection_time_s"))
          core::fail(ini.string(), ": mri.", key, " = '", node.data(), "' is not a finite positive number");
        return *v;
      };
      if (key == "kinetics")
        s.kinetics = flag("mri.kinetics", node.data());
      else if (key == "tofts")
        s.tofts = flag("mri.tofts", node.data());
      else if (key == "register")
        s.register_sequences = flag("mri.register", node.data());
      else if (key == "extended")
        s.extended_tofts = flag("mri.extended", node.data());
      else if (key == "t10_s")
        s.acquisition.t10_s = number();
      else if (key == "tr_s")
        s.acquisition.tr_s = number();
      else if (key == "flip_angle_deg")
        s.acquisition.flip_angle_deg = number();
      else if (key == "relaxivity")
        s.acquisition.relaxivity = number();
      else if (key == "injection_time_s")
        s.acquisition.injection_time_s = number();
      else if (key == "sequences") {
        s.sequences.clear();
        for (const auto& part : core::split(node.data(), ','))
          if (const auto name = core::to_lower(core::trim(part)); !name.empty()) {
            if (name != "t2" && name != "adc")
              core::fail(ini.string(), ": mri.sequences has '", name, "'; known: t2, adc");
            s.sequences.push_back(name);
          }
      } else
        unknown_key(ini, "mri." + key, kMriKeys);
    }
  }
  if (auto habitats = tree.get_child_optional("habitats")) {
    for (const auto& entry : *habitats) {
      const auto& key = entry.first;
      const std::string value = core::trim(entry.second.data());
      auto integer = [&] {
        auto v = core::parse_int(value);
        if (!v || *v < 0 || *v > 1000000)
          core::fail(ini.string(), ": habitats.", key, " = '", value, "' is not a whole number from 0 to 1000000");
        return int(*v);
      };
      if (key == "enabled")
        s.habitats = flag("habitats.enabled", value);
      else if (key == "maps") {
        s.habitat_maps.clear();
        for (auto& m : core::split(value, ',')) s.habitat_maps.push_back(core::trim(m));
      } else if (key == "min")
        s.habitat_options.min_habitats = integer();
      else if (key == "max")
        s.habitat_options.max_habitats = integer();
      else if (key == "fixed")
        s.habitat_options.fixed_habitats = integer();
      else if (key == "seed")
        s.habitat_options.seed = uint64_t(integer());
      else if (key == "ring_mm") {
        auto v = core::parse_double(value);
        if (!v || !(*v >= 0) || !std::isfinite(*v))
          core::fail(ini.string(), ": habitats.ring_mm = '", value, "' is not a distance in mm");
        s.habitat_ring_mm = *v;
      } else if (key == "criterion") {
        if (value == "calinski_harabasz")
          s.habitat_options.criterion = modalities::mri::HabitatOptions::Criterion::kCalinskiHarabasz;
        else if (value == "silhouette")
          s.habitat_options.criterion = modalities::mri::HabitatOptions::Criterion::kSilhouette;
        else
          core::fail(ini.string(), ": habitats.criterion = '", value, "' is not calinski_harabasz or silhouette");
      } else {
        unknown_key(ini, "habitats." + key, kHabitatKeys);
      }
    }
  }
  if (auto regions = tree.get_child_optional("regions")) {
    for (const auto& [key, node] : *regions) {
      if (key == "retest") {
        s.retest = core::to_lower(core::trim(node.data()));
        if (s.retest != "dilate" && s.retest != "erode" && s.retest != "reader2")
          core::fail(ini.string(), ": regions.retest = '", node.data(),
                     "', expected reader2 (the manifest's mri_mask_reader2), dilate or erode");
        continue;
      }
      if (key != "rings_mm") unknown_key(ini, "regions." + key, kRegionKeys);
      for (auto& item : core::split(node.data(), ',')) {
        auto r = core::parse_double(item);
        if (!r || !(*r > 0) || !std::isfinite(*r))
          core::fail(ini.string(), ": regions.rings_mm value '", core::trim(item),
                     "' is not a finite positive distance in mm");
        s.rings_mm.push_back(*r);
      }
    }
  }
  return s;
}

std::string write_cohort_settings(const CohortExtractionSettings& s, bool with_habitats) {
  std::string text = encoders::radiomics::write_settings(s.radiomics);
  auto line = [&](const std::string& key, const std::string& value) { text += key + " = " + value + "\n"; };
  text += "[regions]\n";
  if (!s.rings_mm.empty()) line("rings_mm", encoders::radiomics::ini_numbers(s.rings_mm));
  if (!s.retest.empty()) line("retest", s.retest);
  const auto& a = s.acquisition;
  text += "[mri]\n";
  line("sequences", core::join(s.sequences, ", "));
  line("kinetics", encoders::radiomics::ini_flag(s.kinetics));
  line("register", encoders::radiomics::ini_flag(s.register_sequences));
  line("tofts", encoders::radiomics::ini_flag(s.tofts));
  line("extended", encoders::radiomics::ini_flag(s.extended_tofts));
  line("t10_s", core::format_double(a.t10_s));
  line("tr_s", core::format_double(a.tr_s));
  line("flip_angle_deg", core::format_double(a.flip_angle_deg));
  line("relaxivity", core::format_double(a.relaxivity));
  line("injection_time_s", core::format_double(a.injection_time_s));
  if (!with_habitats) return text;
  const auto& h = s.habitat_options;
  text += "[habitats]\n";
  line("enabled", encoders::radiomics::ini_flag(s.habitats));
  line("maps", core::join(s.habitat_maps, ", "));
  line("min", std::to_string(h.min_habitats));
  line("max", std::to_string(h.max_habitats));
  line("fixed", std::to_string(h.fixed_habitats));
  line("criterion",
       h.criterion == modalities::mri::HabitatOptions::Criterion::kSilhouette ? "silhouette" : "calinski_harabasz");
  line("seed", std::to_string(h.seed));
  line("ring_mm", core::format_double(s.habitat_ring_mm));
  return text;
}

}  // namespace vbiopsy::extraction
