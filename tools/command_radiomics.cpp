#include <cmath>
#include <iostream>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/parallel.h"
#include "core/strings.h"
#include "core/warnings.h"
#include "encoders/radiomics/pyradiomics.h"
#include "encoders/radiomics/settings.h"
#include "extraction/region.h"
#include "modalities/mask_loading.h"
#include "modalities/image_io.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

int run_radiomics(const std::vector<std::string>& args) {
  RadiomicsArgs a;
  po::variables_map values;
  if (!parse_command_line(args, a, values)) return 0;
  if (a.compat != "ibsi" && a.compat != "pyradiomics")
    core::fail("--compat '", a.compat, "' is not ibsi or pyradiomics");
  auto settings =
      a.params.empty() ? encoders::radiomics::default_settings() : encoders::radiomics::read_settings(a.params);
  if (values.count("label")) settings.label = a.label;
  if (a.threads < 1) core::fail("--threads must be at least 1");
  settings.threads = a.threads;
  std::string stored_type;
  const auto image = modalities::read_image(a.image, &stored_type);
  if (modalities::file_kind(a.image) == modalities::FileKind::kRaster)
    core::warn(a.image +
               ": a picture carries no pixel size; 1 mm pixels assumed, so sizes and textures in mm hold only if that "
               "is true");
  // As the case loaders do: a PNG mask takes the geometry of its same-sized image.
  auto mask = modalities::load_mask_for(a.mask, image, a.image);
  // Only the region of setting.label / setting.segment (or every non-zero voxel) is described.
  const auto region = extraction::select_region(std::move(mask), a.mask, settings);
  settings.label = encoders::radiomics::kAnyLabel;
  encoders::radiomics::FeatureList features;
  if (a.compat == "pyradiomics") {
    features = encoders::radiomics::pyradiomics_features(image, region, settings, stored_type);
  } else {
    features = encoders::radiomics::extract_features(image, region, settings);
  }
  std::string csv = core::csv_line({"name", "ibsi_id", "value"});
  for (const auto& f : features)
    csv += core::csv_line({encoders::radiomics::column_name(f), f.ibsi_id, core::format_double(f.value)});
  core::write_file_atomic(a.out, csv);
  std::cout << "wrote " << features.size() << " features to " << a.out << "\n";
  // Undefined values (IBSI: e.g. skewness of a flat region) are written as nan; say which.
  std::vector<std::string> undefined;
  for (const auto& f : features)
    if (std::isnan(f.value)) undefined.push_back(encoders::radiomics::column_name(f));
  if (!undefined.empty()) {
    std::cerr << "warning: " << undefined.size() << " feature(s) are undefined for this region (written as nan):";
    for (size_t i = 0; i < undefined.size() && i < 10; ++i) std::cerr << " " << undefined[i];
    std::cerr << (undefined.size() > 10 ? " ..." : "") << "\n";
  }
  return 0;
}

}  // namespace vbiopsy::tools
