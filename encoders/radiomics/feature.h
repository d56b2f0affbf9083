#pragma once
// One computed radiomics feature value with the names users look it up by.
#include <string>
#include <vector>

namespace vbiopsy::encoders::radiomics {

struct Feature {
  std::string family;       // "glcm", "stats", ... (short, stable)
  std::string name;         // IBSI-style snake name: "joint_maximum"
  std::string ibsi_id;      // e.g. "GYBY"; empty when IBSI defines none
  std::string aggregation;  // "", "2D", "2.5D", "3D", "2D averaged", "2D slice-merged", ...
  double value = 0;
};
using FeatureList = std::vector<Feature>;

// One feature of a family as the conventions name it: IBSI's name and identifier, and
// PyRadiomics' name (nullptr: PyRadiomics does not compute it). A family's table of these, in IBSI
// order, is the single source of its names.
struct FeatureName {
  const char* ibsi;
  const char* id;
  const char* pyradiomics;
};
using FeatureNames = std::vector<FeatureName>;

// "glcm_joint_maximum_3D_averaged": the column name used in wide tables.
std::string column_name(const Feature& feature);

}  // namespace vbiopsy::encoders::radiomics
