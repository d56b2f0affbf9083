#include "encoders/radiomics/feature.h"

namespace vbiopsy::encoders::radiomics {

std::string column_name(const Feature& feature) {
  std::string name = feature.family + "_" + feature.name;
  if (!feature.aggregation.empty()) {
    name += "_";
    for (char c : feature.aggregation) {
      if (c == ',') continue;
      name += (c == ' ' || c == '-' || c == '.') ? '_' : c;
    }
  }
  return name;
}

}  // namespace vbiopsy::encoders::radiomics
