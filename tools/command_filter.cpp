#include <iostream>

#include "encoders/radiomics/convolution/response_map.h"
#include "modalities/image_io.h"
#include "tools/commands.h"
#include "tools/command_options.h"

namespace vbiopsy::tools {

int run_filter(const std::vector<std::string>& args) {
  FilterArgs a;
  if (!parse_command_line(args, a)) return 0;
  const auto spec = encoders::radiomics::convolution::read_filter_spec(a.params);
  const auto image = modalities::read_image(a.image);
  modalities::write_image(encoders::radiomics::convolution::response_map(image, spec), a.out);
  std::cout << "wrote the " << spec.family << " response map to " << a.out << "\n";
  return 0;
}

}  // namespace vbiopsy::tools
