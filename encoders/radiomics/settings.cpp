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
    if (!v || *v < lo || *v > hi) core::fail(ini.string(), ": ", key, " = '", text, "' is not a whole number from ", lo, " to ", hi);
    return static_cast<int>(*v);
  };
  bool count_given = false, width_given = false;
  for (const auto& [section, entries] : tree) {
    if (other_sections.count(section)) continue;
    for (const auto& [key, node] : entries) {
      const std::string value = core::trim(node.data());
      const std::string where = section + "." + key;
      if (section == "setting" && key == "label") {
        const auto v = core::parse_int(value);
        if (!v || *v < 1 || *v > 255) core::fail(ini.string(), ": ", where, " = '", value, "' is not a mask label (an integer from 1 to 255)");
        s.label = static_cast<int>(*v);
      } else if (section == "setting" && key == "segment") {
        if (value.empty()) core::fail(ini.string(), ": ", where, " is empty; expected a DICOM Segmentation's SegmentLabel");
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
        if (v == "fbs") s.discretisation.method = Discretisation::kFixedBinSize;
        else if (v == "fbn") s.discretisation.method = Discretisation::kFixedBinNumber;
        else if (v == "none") s.discretisation.method = Discretisation::kNone;
        else core::fail(ini.string(), ": ", where, " = '", value, "' is not fbs, fbn or none");
      } else if (section == "setting" && (key == "resegmentRange" || key == "resampledPixelSpacing")) {
        std::vector<double> list;
        for (auto& item : core::split(value, ','))
          list.push_back(key == "resampledPixelSpacing" ? non_negative(where, core::trim(item)) : number(where, core::trim(item)));
        (key == "resegmentRange" ? s.resegment_range : s.resampled_spacing) = list;
      } else if (section == "setting" && key == "resegmentMode") {
        if (value != "absolute" && value != "sigma") core::fail(ini.string(), ": ", where, " = '", value, "' is not absolute or sigma");
        s.resegment_mode = value;
      } else if (section == "setting" && (key == "force2D" || key == "normalize")) {
        const std::string v = core::to_lower(value);
        if (v != "true" && v != "false") core::fail(ini.string(), ": ", where, " = '", value, "' is not true or false");
        (key == "force2D" ? s.force_2d : s.normalize) = v == "true";
      } else if (section == "setting" && key == "weightingNorm") {
        if (value != "no_weighting") core::fail(ini.string(), ": ", where, " = '", value, "': only no_weighting is supported");
        s.merge_directions = true;
      } else if (section == "setting" && key == "interpolator") {
        if (value == "sitkBSpline" || value == "bspline") s.bspline = true;
        else if (value == "sitkLinear" || value == "linear") s.bspline = false;
        else core::fail(ini.string(), ": ", where, " = '", value, "' is not sitkBSpline/bspline or sitkLinear/linear");
      } else if (section == "setting" && key == "normalizeScale") {
        s.normalize_scale = positive(where, value);
      } else if (section == "setting" && key == "padDistance") {
        s.pad_distance = whole(where, value, 0, 1000);
      } else if (section == "setting" && key == "voxelArrayShift") {
        s.voxel_array_shift = number(where, value);
      } else if (section == "setting" && key == "maxGreyLevels") {
        s.discretisation.max_levels = whole(where, value, 1, 100000000);
      } else if (section == "imageType") {
        auto flag = [&] {
          const std::string v = core::to_lower(value);
          if (v != "true" && v != "false") core::fail(ini.string(), ": ", where, " = '", value, "' is not true or false");
          return v == "true";
        };
        if (key == "Original") s.filters.original = flag();
        else if (key == "LoG") {
          for (auto& item : core::split(value, ',')) {
            const double sigma = positive(where, core::trim(item));
            if (!(sigma > 0)) core::fail(ini.string(), ": ", where, " sigma ", sigma, " must be positive (mm)");
            s.filters.log_sigma_mm.push_back(sigma);
          }
        } else if (key == "Wavelet") {
          if (value != "haar" && value != "coif1") core::fail(ini.string(), ": ", where, " = '", value, "' is not haar or coif1");
          s.filters.wavelet = value;
        } else if (key == "Square") s.filters.square = flag();
        else if (key == "SquareRoot") s.filters.square_root = flag();
        else if (key == "Logarithm") s.filters.logarithm = flag();
        else if (key == "Exponential") s.filters.exponential = flag();
        else if (key == "Gradient") s.filters.gradient = flag();
        else core::fail(ini.string(), ": unknown image type '", key,
                        "'; known: Original, LoG, Wavelet, Square, SquareRoot, Logarithm, Exponential, Gradient");
      } else if (section == "features" && key == "families") {
        for (auto& family : core::split(value, ',')) s.families.insert(core::trim(family));
      } else {
        core::fail(ini.string(), ": unknown key '", where,
                   "'; known: setting.label, setting.segment, setting.binWidth, setting.binCount, setting.discretisation, "
                   "setting.maxGreyLevels, setting.resegmentRange, setting.resegmentMode, setting.voxelArrayShift, "
                   "setting.force2D, setting.weightingNorm, setting.normalize, setting.normalizeScale, "
                   "setting.resampledPixelSpacing, setting.interpolator, setting.padDistance, features.families");
      }
    }
  }
  if (count_given && width_given) core::fail(ini.string(), ": give binWidth or binCount, not both");
  if (s.label != kAnyLabel && !s.segment.empty()) core::fail(ini.string(), ": give setting.label or setting.segment, not both");
  return s;
}

PyRadiomicsSettings pyradiomics_settings(const ExtractionSettings& settings) {
  PyRadiomicsSettings p;
  p.label = settings.label;
  switch (settings.discretisation.method) {
    case Discretisation::kFixedBinSize: p.bin_width = settings.discretisation.bin_size; break;
    case Discretisation::kFixedBinNumber: p.bin_count = settings.discretisation.bin_number; break;
    case Discretisation::kNone: core::fail("PyRadiomics always discretises: give binWidth or binCount");
  }
  p.voxel_array_shift = settings.voxel_array_shift;
  p.force_2d = settings.force_2d;
  p.merge_directions = settings.merge_directions;
  p.normalize = settings.normalize;
  p.normalize_scale = settings.normalize_scale;
  p.resegment_mode = settings.resegment_mode;
  p.resegment_range = settings.resegment_range;
  p.resampled_spacing = settings.resampled_spacing;
  p.pad_distance = settings.pad_distance;
  p.filters = settings.filters;
  p.threads = settings.threads;
  return p;
}

}  // namespace vbiopsy::encoders::radiomics
