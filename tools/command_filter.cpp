#include <iostream>

#include "encoders/radiomics/convolution/response_map.h"
#include "modalities/image_io.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace vbiopsy::tools {

int run_filter(const std::vector<std::string>& args) {
  std::string image_path, params, out;
  po::options_description options("vbiopsy filter");
  options.add_options()("image", po::value(&image_path)->required(), "image (NIfTI, NRRD, MHA, DICOM file or folder)")(
      "params", po::value(&params)->required(),
      "filter INI, section [filter] (see docs/radiomics.md; the IBSI 2 phase-1 configurations are in "
      "tools/ibsi2/phase1)")("out", po::value(&out)->required(),
                             "the response map, float32 on the image's grid (.nii.gz, .nrrd, .mha)");
  po::variables_map values;
  if (!parse_options(args, options, values, "vbiopsy filter --image I --params P.ini --out map.nii.gz")) return 0;
  const auto spec = encoders::radiomics::convolution::read_filter_spec(params);
  const auto image = modalities::read_image(image_path);
  modalities::write_image(encoders::radiomics::convolution::response_map(image, spec), out);
  std::cout << "wrote the " << spec.family << " response map to " << out << "\n";
  return 0;
}

}  // namespace vbiopsy::tools
