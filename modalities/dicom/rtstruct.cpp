#include "modalities/dicom/rtstruct.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "modalities/dicom/dicom_file.h"

namespace vbiopsy::modalities::dicom {
namespace fs = std::filesystem;
using core::fail;

namespace {

struct Roi {
  std::string name;
  std::vector<std::vector<std::array<double, 3>>> contours;
};

std::map<long, Roi> read_rois(const fs::path& file) {
  register_codecs();
  DcmFileFormat format;
  if (format.loadFile(file.c_str()).bad()) fail(file.string(), ": not a readable DICOM file");
  DcmDataset* ds = format.getDataset();
  OFString modality;
  ds->findAndGetOFString(DCM_Modality, modality);
  if (modality != "RTSTRUCT") fail(file.string(), ": Modality is '", modality.c_str(), "', expected RTSTRUCT");
  std::map<long, Roi> rois;
  DcmSequenceOfItems* names = nullptr;
  if (ds->findAndGetSequence(DCM_StructureSetROISequence, names).good() && names) {
    for (unsigned long i = 0; i < names->card(); ++i) {
      DcmItem* item = names->getItem(i);
      Sint32 number = 0;
      OFString name;
      item->findAndGetSint32(DCM_ROINumber, number);
      item->findAndGetOFString(DCM_ROIName, name);
      rois[number].name = name.c_str();
    }
  }
  DcmSequenceOfItems* contours = nullptr;
  if (ds->findAndGetSequence(DCM_ROIContourSequence, contours).bad() || !contours)
    fail(file.string(), ": no ROIContourSequence (3006,0039)");
  for (unsigned long i = 0; i < contours->card(); ++i) {
    DcmItem* item = contours->getItem(i);
    Sint32 number = 0;
    item->findAndGetSint32(DCM_ReferencedROINumber, number);
    DcmSequenceOfItems* list = nullptr;
    if (item->findAndGetSequence(DCM_ContourSequence, list).bad() || !list) continue;
    for (unsigned long c = 0; c < list->card(); ++c) {
      DcmItem* contour = list->getItem(c);
      OFString type;
      contour->findAndGetOFString(DCM_ContourGeometricType, type);
      if (type != "CLOSED_PLANAR") continue;  // points and open lines enclose no voxels
      DcmElement* data = nullptr;
      if (contour->findAndGetElement(DCM_ContourData, data).bad() || !data) continue;
      const unsigned long values = data->getVM();
      if (values % 3 != 0 || values < 9)
        fail(file.string(), ": ContourData of ROI ", number, " has ", values,
             " values; expected x,y,z triples of at least 3 points");
      std::vector<std::array<double, 3>> points(values / 3);
      for (unsigned long v = 0; v < values; ++v) {
        Float64 x = 0;
        if (data->getFloat64(x, v).bad() || !std::isfinite(x))
          fail(file.string(), ": ContourData value ", v, " of ROI ", number, " is not a number");
        points[v / 3][v % 3] = x;
      }
      rois[number].contours.push_back(std::move(points));
    }
  }
  return rois;
}

}  // namespace

core::Mask rasterise_rtstruct(const fs::path& rtstruct, const core::Geometry& grid, const std::string& roi_name) {
  auto rois = read_rois(rtstruct);
  const Roi* chosen = nullptr;
  std::string known;
  for (auto& [number, roi] : rois) {
    known += (known.empty() ? "" : ", ") + roi.name;
    if (roi_name.empty() ? !roi.contours.empty() : roi.name == roi_name) {
      if (chosen && roi_name.empty())
        fail(rtstruct.string(), ": holds several ROIs with contours (", known, "...); name one");
      chosen = &roi;
    }
  }
  if (!chosen) fail(rtstruct.string(), ": no ROI named '", roi_name, "' with contours; ROIs: ", known);

  // Edges of every contour, in continuous voxel indices, gathered per slice.
  struct Edge {
    double x0, y0, x1, y1;
  };
  std::map<long, std::vector<Edge>> edges_by_slice;
  for (auto& contour : chosen->contours) {
    std::vector<std::array<double, 3>> idx;
    double z = 0;
    for (auto& p : contour) {
      idx.push_back(grid.physical_to_index(p));
      z += idx.back()[2];
    }
    const long k = std::lround(z / static_cast<double>(idx.size()));
    if (k < 0 || k >= static_cast<long>(grid.size[2])) continue;  // outside the referenced series
    for (size_t i = 0; i < idx.size(); ++i) {
      auto& a = idx[i];
      auto& b = idx[(i + 1) % idx.size()];
      edges_by_slice[k].push_back({a[0], a[1], b[0], b[1]});
    }
  }
  core::Mask mask(grid);
  for (auto& [k, edges] : edges_by_slice) {
    std::vector<double> crossings;
    for (size_t y = 0; y < grid.size[1]; ++y) {
      const double yc = static_cast<double>(y);
      crossings.clear();
      for (auto& e : edges) {
        // Half-open rule: an edge counts when the scan line is in [min y, max y).
        if ((e.y0 <= yc && yc < e.y1) || (e.y1 <= yc && yc < e.y0))
          crossings.push_back(e.x0 + (yc - e.y0) * (e.x1 - e.x0) / (e.y1 - e.y0));
      }
      std::sort(crossings.begin(), crossings.end());
      for (size_t c = 0; c + 1 < crossings.size(); c += 2) {
        const long from = std::max(0L, static_cast<long>(std::ceil(crossings[c])));
        const long to = std::min(static_cast<long>(grid.size[0]) - 1, static_cast<long>(std::floor(crossings[c + 1])));
        for (long x = from; x <= to; ++x) mask.at(static_cast<size_t>(x), y, static_cast<size_t>(k)) = 1;
      }
    }
  }
  return mask;
}

}  // namespace vbiopsy::modalities::dicom
