#pragma once
// One patient's tumour as the framework sees it. A modality that was not acquired is an empty
// optional — never a zero image — so every later step knows what is really there.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datasets/her2.h"

namespace vbiopsy::datasets {

struct ClinicalValues {
  std::optional<double> er_percent;  // % of tumour nuclei stained, 0-100
  std::optional<double> pr_percent;
  std::optional<bool> er_positive;  // from the table, or ER >= 1% (ASCO/CAP) when absent
  std::optional<bool> pr_positive;
  std::optional<double> ki67_percent;  // 0-100
  std::optional<double> age_years;
  std::optional<double> tumour_size_mm;  // largest diameter
  std::optional<int> grade;              // Nottingham 1-3
  std::optional<bool> node_positive;     // axillary lymph nodes (N1-N3 positive, N0 negative)
  std::optional<bool> multifocal;
  std::optional<std::string> menopausal_status;  // "pre", "peri", "post"
  std::optional<std::string> histology;          // "ductal" (NST), "lobular", "mixed", "other"
  // Every other column of the clinical table (lower-case header -> cell as written), for variables
  // a config names in [columns] clinical.
  std::map<std::string, std::string> extra;
};

struct MriStudy {
  // One entry: a DICOM folder holding every phase (grouped by TemporalPositionIdentifier or
  // AcquisitionTime). Several entries: one file or DICOM folder per phase, pre-contrast first.
  std::vector<std::filesystem::path> dce;
  std::vector<double> dce_times_s;  // seconds from the pre-contrast phase; may come from DICOM
  std::optional<std::filesystem::path> t2;
  std::vector<std::filesystem::path> dwi;  // one volume per b-value
  std::vector<double> dwi_b_values;        // s/mm^2, same order as dwi
  std::optional<std::filesystem::path> adc;
  std::filesystem::path mask;  // tumour mask on the DCE grid
  // A second reader's tumour mask on the DCE grid, for reproducibility (ICC) of the features.
  std::optional<std::filesystem::path> mask_reader2;
};

struct PixelBox {
  int x = 0, y = 0, width = 0, height = 0;  // pixels, top-left origin
};

struct MammographyView {
  std::string view;  // "CC" or "MLO"
  std::filesystem::path image;
  std::optional<std::filesystem::path> mask;
  std::optional<PixelBox> box;  // lesion box when no mask is drawn
};

struct Mammography {
  std::string laterality;  // "L" or "R"; may be empty and then read from DICOM
  std::vector<MammographyView> views;
  std::optional<double> pixel_mm;  // pixel size of pictures (PNG, JPEG, ...), which carry none
};

struct Ultrasound {
  std::vector<std::filesystem::path> frames;  // image files, or a multi-frame DICOM
  std::vector<std::filesystem::path> masks;   // one per frame, or one for every frame
  std::optional<double> pixel_mm;             // pixel size of pictures
};

struct Case {
  std::string case_id;
  std::string patient_id;
  std::string site;  // centre / scanner
  Her2Label label;
  ClinicalValues clinical;
  std::optional<MriStudy> mri;
  std::optional<Mammography> mammography;
  std::optional<Ultrasound> ultrasound;
};

// The bytes of a case's input files (a DICOM folder counted whole): its cost in a share of work.
double input_bytes(const Case& c);

// Every image and mask file (or DICOM folder) a case names, modality by modality.
inline std::vector<std::filesystem::path> input_files(const Case& c) {
  std::vector<std::filesystem::path> out;
  if (c.mri) {
    const auto& m = *c.mri;
    out.insert(out.end(), m.dce.begin(), m.dce.end());
    for (const auto& p : {m.t2, m.adc, std::optional(m.mask), m.mask_reader2})
      if (p) out.push_back(*p);
    out.insert(out.end(), m.dwi.begin(), m.dwi.end());
  }
  if (c.mammography)
    for (const auto& v : c.mammography->views) {
      out.push_back(v.image);
      if (v.mask) out.push_back(*v.mask);
    }
  if (c.ultrasound) {
    out.insert(out.end(), c.ultrasound->frames.begin(), c.ultrasound->frames.end());
    out.insert(out.end(), c.ultrasound->masks.begin(), c.ultrasound->masks.end());
  }
  return out;
}

}  // namespace vbiopsy::datasets
