#include "encoders/radiomics/settings.h"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/ini.h"
#include "core/strings.h"

namespace vbiopsy::encoders::radiomics {
namespace fs = std::filesystem;

const std::vector<std::string>& setting_keys() {
  static const std::vector<std::string> keys{"setting.label",
                                             "setting.segment",
                                             "setting.discretisation",
                                             "setting.binWidth",
                                             "setting.binCount",
                                             "setting.maxGreyLevels",
                                             "setting.resegmentRange",
                                             "setting.resegmentMode",
                                             "setting.resampledPixelSpacing",
                                             "setting.interpolator",
                                             "setting.voxelArrayShift",
                                             "setting.force2D",
                                             "setting.weightingNorm",
                                             "setting.normalize",
                                             "setting.normalizeScale",
                                             "setting.padDistance",
                                             "setting.roundIntensities",
                                             "imageType.Original",
                                             "imageType.LoG",
                                             "imageType.Wavelet",
                                             "imageType.Square",
                                             "imageType.SquareRoot",
                                             "imageType.Logarithm",
                                             "imageType.Exponential",
                                             "imageType.Gradient",
                                             "imageType.LBP2D",
                                             "setting.lbp2DRadius",
                                             "setting.lbp2DSamples",
                                             "setting.lbp2DMethod",
                                             "imageType.LBP3D",
                                             "setting.lbp3DLevels",
                                             "setting.lbp3DIcosphereRadius",
                                             "setting.lbp3DIcosphereSubdivision",
                                             "features.families"};
  return keys;
}

ExtractionSettings default_settings() {
  ExtractionSettings s;
  s.discretisation.method = Discretisation::kFixedBinSize;
  s.discretisation.bin_size = 25;
  return s;
}

ExtractionSettings read_settings(const fs::path& ini, const std::set<std::string>& other_sections) {
  boost::property_tree::ptree tree;
  try {
    const std::string text = core::read_text_file(ini);
    core::require_utf8(text, ini.string());
    core::require_keys_in_sections(text, ini.string(), "[setting] (PyRadiomics' keys), [imageType] or [features]");
    std::istringstream stream(text);
    boost::property_tree::read_ini(stream, tree);
  } catch (const boost::property_tree::ini_parser_error& e) {
    core::fail(ini.string(), ": not a readable INI file: ", e.message(), " (line ", e.line(), ")");
  }
  ExtractionSettings s = default_settings();
  // Every number is finite, and counts are whole numbers in range: a float such as 1e10 or nan is
  // never converted to an int (undefined behaviour).
  auto number = [&](const std::string& key, const std::string& text) {
    auto v = core::parse_double(text);
    if (!v || !std::isfinite(*v)) core::fail(ini.string(), ": ", key, " = '", text, "' is not a finite number");
    return *v;
  };
  auto positive = [&](const std::string& key, const std::string& text) {
    const double v = number(key, text);
    if (!(v > 0)) core::fail(ini.string(), ": ", key, " = '", text, "' must be positive");
    return v;
  };
  auto non_negative = [&](const std::string& key, const std::string& text) {  // PyRadiomics: 0 keeps an axis
    const double v = number(key, text);
    if (v < 0) core::fail(ini.string(), ": ", key, " = '", text, "' must not be negative");
    return v;
  };
  auto whole = [&](const std::string& key, const std::string& text, long long lo, long long hi) {
    const auto v = core::parse_int(text);
    if (!v || *v < lo || *v > hi)
      core::fail(ini.string(), ": ", key, " = '", text, "' is not a whole number from ", lo, " to ", hi);
    return static_cast<int>(*v);
  };
  bool count_given = false, width_given = false;
  for (const auto& [section, entries] : tree) {
    if (other_sections.count(section)) continue;
    if (section.rfind("filter.", 0) == 0) {  // an IBSI 2 filter's response map as an image type
      const std::string name = section.substr(7);
      if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
        core::fail(ini.string(), ": [", section,
                   "]: a filter's name is lower-case letters, digits and _ (it prefixes the feature names)");
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& [key, node] : entries) pairs.emplace_back(key, node.data());
      s.filters.convolution.emplace_back(name,
                                         convolution::filter_spec_from(pairs, ini.string() + ": [" + section + "]"));
      continue;
    }
    for (const auto& [key, node] : entries) {
      const std::string value = core::trim(node.data());
      const std::string where = section + "." + key;
      if (section == "setting" && key == "label") {
        const auto v = core::parse_int(value);
        if (!v || *v < 1 || *v > 255)
          core::fail(ini.string(), ": ", where, " = '", value, "' is not a mask label (an integer from 1 to 255)");
        s.label = static_cast<int>(*v);
      } else if (section == "setting" && key == "segment") {
        if (value.empty())
          core::fail(ini.string(), ": ", where, " is empty; expected a DICOM Segmentation's SegmentLabel");
        s.segment = value;
      } else if (section == "setting" && key == "binWidth") {
        s.discretisation.bin_size = positive(where, value);
        width_given = true;
      } else if (section == "setting" && key == "binCount") {
        s.discretisation.bin_number = whole(where, value, 1, 1000000);
        s.discretisation.method = Discretisation::kFixedBinNumber;
        count_given = true;
      } else if (section == "setting" && key == "discretisation") {
        const std::string v = core::to_lower(value);
        if (v == "fbs")
          s.discretisation.method = Discretisation::kFixedBinSize;
        else if (v == "fbn")
          s.discretisation.method = Discretisation::kFixedBinNumber;
        else if (v == "none")
          s.discretisation.method = Discretisation::kNone;
        else
          core::fail(ini.string(), ": ", where, " = '", value, "' is not fbs, fbn or none");
      } else if (section == "setting" && (key == "resegmentRange" || key == "resampledPixelSpacing")) {
        std::vector<double> list;
        for (auto& item : core::split(value, ','))
          list.push_back(key == "resampledPixelSpacing" ? non_negative(where, core::trim(item))
                                                        : number(where, core::trim(item)));
        (key == "resegmentRange" ? s.resegment_range : s.resampled_spacing) = list;
      } else if (section == "setting" && key == "resegmentMode") {
        if (value != "absolute" && value != "sigma")
          core::fail(ini.string(), ": ", where, " = '", value, "' is not absolute or sigma");
        s.resegment_mode = value;
      } else if (section == "setting" && (key == "force2D" || key == "normalize")) {
        const std::string v = core::to_lower(value);
        if (v != "true" && v != "false") core::fail(ini.string(), ": ", where, " = '", value, "' is not true or false");
        (key == "force2D" ? s.force_2d : s.normalize) = v == "true";
      } else if (section == "setting" && key == "weightingNorm") {
        if (value != "no_weighting")
          core::fail(ini.string(), ": ", where, " = '", value, "': only no_weighting is supported");
        s.merge_directions = true;
      } else if (section == "setting" && key == "interpolator") {
        if (value == "sitkBSpline" || value == "bspline")
          s.bspline = true;
        else if (value == "sitkLinear" || value == "linear")
          s.bspline = false;
        else
          core::fail(ini.string(), ": ", where, " = '", value, "' is not sitkBSpline/bspline or sitkLinear/linear");
      } else if (section == "setting" && key == "normalizeScale") {
        s.normalize_scale = positive(where, value);
      } else if (section == "setting" && key == "lbp2DRadius") {
        s.filters.lbp_2d_radius = positive(where, value);
      } else if (section == "setting" && key == "lbp2DSamples") {
        s.filters.lbp_2d_samples = whole(where, value, 1, 31);
      } else if (section == "setting" && key == "lbp2DMethod") {
        if (value != "default" && value != "ror" && value != "uniform")
          core::fail(ini.string(), ": ", where, " = '", value, "' is not default, ror or uniform");
        s.filters.lbp_2d_method = value;
      } else if (section == "setting" && key == "lbp3DLevels") {
        s.filters.lbp_3d_settings.levels = whole(where, value, 1, 10);
      } else if (section == "setting" && key == "lbp3DIcosphereRadius") {
        s.filters.lbp_3d_settings.icosphere_radius = positive(where, value);
      } else if (section == "setting" && key == "lbp3DIcosphereSubdivision") {
        s.filters.lbp_3d_settings.icosphere_subdivision = whole(where, value, 0, 5);
      } else if (section == "setting" && key == "roundIntensities") {
        const std::string v = core::to_lower(value);
        if (v != "true" && v != "false") core::fail(ini.string(), ": ", where, " = '", value, "' is not true or false");
        s.round_intensities = v == "true";
      } else if (section == "setting" && key == "padDistance") {
        s.pad_distance = whole(where, value, 0, 1000);
      } else if (section == "setting" && key == "voxelArrayShift") {
        s.voxel_array_shift = number(where, value);
      } else if (section == "setting" && key == "maxGreyLevels") {
        s.discretisation.max_levels = whole(where, value, 1, 100000000);
      } else if (section == "imageType") {
        auto flag = [&] {
          const std::string v = core::to_lower(value);
          if (v != "true" && v != "false")
            core::fail(ini.string(), ": ", where, " = '", value, "' is not true or false");
          return v == "true";
        };
        if (key == "Original")
          s.filters.original = flag();
        else if (key == "LoG") {
          for (auto& item : core::split(value, ',')) {
            try {
              s.filters.log_sigma.push_back(log_sigma_typed(item));
            } catch (const core::Error& e) {
              core::fail(ini.string(), ": ", where, ": ", e.what());
            }
          }
        } else if (key == "Wavelet") {
          if (value != "haar" && value != "coif1")
            core::fail(ini.string(), ": ", where, " = '", value, "' is not haar or coif1");
          s.filters.wavelet = value;
        } else if (key == "Square")
          s.filters.square = flag();
        else if (key == "SquareRoot")
          s.filters.square_root = flag();
        else if (key == "Logarithm")
          s.filters.logarithm = flag();
        else if (key == "Exponential")
          s.filters.exponential = flag();
        else if (key == "Gradient")
          s.filters.gradient = flag();
        else if (key == "LBP2D")
          s.filters.lbp_2d = flag();
        else if (key == "LBP3D")
          s.filters.lbp_3d = flag();
        else
          core::fail(ini.string(), ": unknown key '", where, "'", core::did_you_mean(where, setting_keys()),
                     "; known: ", core::join(setting_keys(), ", "));
      } else if (section == "features" && key == "families") {
        for (auto& family : core::split(value, ',')) s.families.insert(core::trim(family));
      } else {
        core::fail(ini.string(), ": unknown key '", where, "'", core::did_you_mean(where, setting_keys()),
                   "; known: ", core::join(setting_keys(), ", "));
      }
    }
  }
  if (count_given && width_given) core::fail(ini.string(), ": give binWidth or binCount, not both");
  if (s.label != kAnyLabel && !s.segment.empty())
    core::fail(ini.string(), ": give setting.label or setting.segment, not both");
  return s;
}

std::string ini_numbers(const std::vector<double>& values) {
  std::vector<std::string> texts;
  for (double v : values) texts.push_back(core::format_double(v));
  return core::join(texts, ", ");
}

const char* ini_flag(bool value) { return value ? "true" : "false"; }

std::string write_settings(const ExtractionSettings& s) {
  const auto& d = s.discretisation;
  std::string text = "[setting]\n";
  auto line = [&](const std::string& key, const std::string& value) { text += key + " = " + value + "\n"; };
  if (s.label != kAnyLabel) line("label", std::to_string(s.label));
  if (!s.segment.empty()) line("segment", s.segment);
  line("discretisation", d.method == Discretisation::kFixedBinSize     ? "fbs"
                         : d.method == Discretisation::kFixedBinNumber ? "fbn"
                                                                       : "none");
  // Only the active bin setting: the reader refuses both, and the other one changes nothing.
  if (d.method == Discretisation::kFixedBinSize) line("binWidth", core::format_double(d.bin_size));
  if (d.method == Discretisation::kFixedBinNumber) line("binCount", std::to_string(d.bin_number));
  line("maxGreyLevels", std::to_string(d.max_levels));
  if (!s.resegment_range.empty()) line("resegmentRange", ini_numbers(s.resegment_range));
  line("resegmentMode", s.resegment_mode);
  if (!s.resampled_spacing.empty()) line("resampledPixelSpacing", ini_numbers(s.resampled_spacing));
  line("interpolator", s.bspline ? "sitkBSpline" : "sitkLinear");
  line("roundIntensities", ini_flag(s.round_intensities));
  line("lbp2DRadius", core::format_double(s.filters.lbp_2d_radius));
  line("lbp2DSamples", std::to_string(s.filters.lbp_2d_samples));
  line("lbp2DMethod", s.filters.lbp_2d_method);
  line("lbp3DLevels", std::to_string(s.filters.lbp_3d_settings.levels));
  line("lbp3DIcosphereRadius", core::format_double(s.filters.lbp_3d_settings.icosphere_radius));
  line("lbp3DIcosphereSubdivision", std::to_string(s.filters.lbp_3d_settings.icosphere_subdivision));
  line("voxelArrayShift", core::format_double(s.voxel_array_shift));
  line("force2D", ini_flag(s.force_2d));
  if (s.merge_directions) line("weightingNorm", "no_weighting");
  line("normalize", ini_flag(s.normalize));
  line("normalizeScale", core::format_double(s.normalize_scale));
  line("padDistance", core::format_double(s.pad_distance));
  const auto& f = s.filters;
  text += "[imageType]\n";
  line("Original", ini_flag(f.original));
  // Each sigma as Python prints it, which reads back to the same text (and image name).
  std::vector<std::string> sigmas;
  for (const auto& sigma : f.log_sigma) sigmas.push_back(sigma.text);
  if (!sigmas.empty()) line("LoG", core::join(sigmas, ", "));
  if (!f.wavelet.empty()) line("Wavelet", f.wavelet);
  line("Square", ini_flag(f.square));
  line("SquareRoot", ini_flag(f.square_root));
  line("Logarithm", ini_flag(f.logarithm));
  line("Exponential", ini_flag(f.exponential));
  line("Gradient", ini_flag(f.gradient));
  line("LBP2D", ini_flag(f.lbp_2d));
  line("LBP3D", ini_flag(f.lbp_3d));
  for (const auto& [name, spec] : f.convolution)
    text += "[filter." + name + "]\n" + convolution::write_filter_spec(spec);
  if (!s.families.empty()) {
    text += "[features]\n";
    line("families", core::join(std::vector<std::string>(s.families.begin(), s.families.end()), ", "));
  }
  return text;
}

}  // namespace vbiopsy::encoders::radiomics
