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
#include "extraction/inputs.h"
#include "modalities/case_loader.h"
#include "modalities/image_io.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_radiomics(const std::vector<std::string>& args) {
  std::string image_path, mask_path, params, out;
  int label = 0;
  std::string compat = "ibsi";
  unsigned threads = core::default_thread_count();
  po::options_description options("vbiopsy radiomics");
  options.add_options()("image", po::value(&image_path)->required(),
                        "image (NIfTI, NRRD, MHA, PNG, DICOM file or folder)")(
      "mask", po::value(&mask_path)->required(), "mask on the image's grid")(
      "label", po::value(&label), "mask value of the region (default: setting.label, else every non-zero voxel)")(
      "params", po::value(&params),
      "settings INI (see docs/radiomics.md: binWidth, binCount, discretisation, families, voxelArrayShift)")(
      "compat", po::value(&compat)->default_value(compat),
      "ibsi (IBSI names and aggregations) or pyradiomics (its names, bin edges and defaults)")(
      "threads", po::value(&threads)->default_value(threads),
      "threads for the image types of this case (results do not depend on it)")("out", po::value(&out)->required(),
                                                                                "output CSV: name,ibsi_id,value");
  po::variables_map values;
  if (!parse_options(args, options, values,
                     "vbiopsy radiomics --image I --mask M [--label L] [--params P.ini] [--compat ibsi|pyradiomics] "
                     "[--threads N] --out F.csv"))
    return 0;
  if (compat != "ibsi" && compat != "pyradiomics") core::fail("--compat '", compat, "' is not ibsi or pyradiomics");
  auto settings = params.empty() ? encoders::radiomics::default_settings() : encoders::radiomics::read_settings(params);
  if (values.count("label")) settings.label = label;
  if (threads < 1) core::fail("--threads must be at least 1");
  settings.threads = threads;
  const auto image = modalities::read_image(image_path);
  if (modalities::file_kind(image_path) == modalities::FileKind::kRaster)
    core::warn(image_path +
               ": a picture carries no pixel size; 1 mm pixels assumed, so sizes and textures in mm hold only if that "
               "is true");
  // As the case loaders do: a PNG mask takes the geometry of its same-sized image.
  const auto mask = modalities::load_mask_for(mask_path, image, image_path);
  // Only the region of setting.label / setting.segment (or every non-zero voxel) is described.
  const auto region = extraction::select_region(mask, mask_path, settings);
  settings.label = encoders::radiomics::kAnyLabel;
  encoders::radiomics::FeatureList features;
  if (compat == "pyradiomics") {
    features =
        encoders::radiomics::pyradiomics_features(image, region, settings, modalities::stored_pixel_type(image_path));
  } else {
    features = encoders::radiomics::extract_features(image, region, settings);
  }
  std::string csv = core::csv_line({"name", "ibsi_id", "value"});
  for (const auto& f : features)
    csv += core::csv_line({encoders::radiomics::column_name(f), f.ibsi_id, core::format_double(f.value)});
  core::write_file_atomic(out, csv);
  std::cout << "wrote " << features.size() << " features to " << out << "\n";
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
