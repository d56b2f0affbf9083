#include "modalities/synthetic_cohort.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/parallel.h"
#include "core/strings.h"
#include "datasets/clinical.h"
#include "datasets/manifest.h"
#include "modalities/dicom/dicom_writer.h"
#include "modalities/image_io.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;
using datasets::SynthCase;

namespace {

constexpr double kStudyStartS = 9 * 3600.0;  // 09:00:00, the synthetic studies' clock

dicom::DicomWriteInfo series_info(const SynthCase& sc, const std::string& name, const std::string& modality,
                                  const char* sop_class, int number, uint64_t seed) {
  dicom::DicomWriteInfo info;
  info.sop_class_uid = sop_class;
  info.modality = modality;
  info.patient_id = sc.record.patient_id;
  const std::string key = core::concat(seed, "/", sc.record.case_id);
  info.study_uid = dicom::make_uid(key + "/study");
  info.series_uid = dicom::make_uid(key + "/" + name);
  info.series_description = name;
  info.series_number = number;
  return info;
}

void write_mri(SynthCase& sc, const SynthWriteOptions& o, const fs::path& dir) {
  datasets::MriStudy study;
  const fs::path mri = dir / "mri";
  if (o.mri_format == MriFormat::kNifti) {
    for (size_t p = 0; p < sc.dce.size(); ++p) {
      study.dce.push_back(mri / core::concat("dce_", p, ".nii.gz"));
      write_image_int16(sc.dce[p], study.dce.back());
    }
    study.dce_times_s = sc.dce_times_s;
    std::vector<std::string> times;  // the case folder's own record of them (datasets/case_folder.h)
    for (double t : sc.dce_times_s) times.push_back(core::format_double(t));
    core::write_file_atomic(mri / "dce_times.txt", core::join(times, " ") + "\n");
    study.t2 = mri / "t2.nii.gz";
    write_image_int16(sc.t2, *study.t2);
    for (size_t b = 0; b < sc.dwi.size(); ++b) {
      study.dwi.push_back(mri / core::concat("dwi_b", sc.dwi_b_values[b], ".nii.gz"));
      write_image_int16(sc.dwi[b], study.dwi.back());
    }
    study.dwi_b_values = sc.dwi_b_values;
  } else {
    // One DCE series holding every phase; instance numbers run against the slice order, as they
    // often do, so that only ImagePositionPatient can order the slices.
    auto dce = series_info(sc, "DCE", "MR", UID_MRImageStorage, 10, o.synth.seed);
    if (sc.site == 1) dce.rescale_slope = 0.5;  // one scanner stores doubled values
    dce.repetition_time_ms = 4.5;
    dce.flip_angle_deg = 12;
    const size_t slices = sc.dce.front().geometry.size[2];
    int instance = 1;
    for (size_t p = 0; p < sc.dce.size(); ++p) {
      dce.temporal_position = static_cast<int>(p + 1);
      dce.acquisition_time_s = kStudyStartS + sc.dce_times_s[p];
      for (size_t k = 0; k < slices; ++k, ++instance)
        dicom::write_dicom_slice(sc.dce[p], slices - 1 - k, instance, dce,
                                 mri / "dce" / core::concat("IM", 1000 + instance, ".dcm"));
    }
    study.dce = {mri / "dce"};
    auto t2 = series_info(sc, "T2W", "MR", UID_MRImageStorage, 20, o.synth.seed);
    for (size_t k = 0; k < slices; ++k)
      dicom::write_dicom_slice(sc.t2, k, static_cast<int>(k + 1), t2,
                               mri / "t2" / core::concat("IM", 1000 + k, ".dcm"));
    study.t2 = mri / "t2";
    auto dwi = series_info(sc, "DWI", "MR", UID_MRImageStorage, 30, o.synth.seed);
    instance = 1;
    for (size_t b = 0; b < sc.dwi.size(); ++b) {
      dwi.b_value = sc.dwi_b_values[b];
      for (size_t k = 0; k < slices; ++k, ++instance)
        dicom::write_dicom_slice(sc.dwi[b], k, instance, dwi,
                                 mri / "dwi" / core::concat("IM", 1000 + instance, ".dcm"));
    }
    study.dwi = {mri / "dwi"};
  }
  study.mask = mri / "mask.nii.gz";
  write_mask(sc.tumour, study.mask);
  study.mask_reader2 = mri / "mask_reader2.nii.gz";
  write_mask(sc.tumour_reader2, *study.mask_reader2);
  sc.record.mri = std::move(study);
}

void write_mammography(SynthCase& sc, const SynthWriteOptions& o, const fs::path& dir) {
  for (auto& view : sc.mammography) {
    const std::string name = core::to_lower(view.view);
    datasets::MammographyView v{view.view, {}, dir / "mg" / (name + "_mask.png"), std::nullopt};
    if (sc.site == 2) {  // pictures carry no pixel size: the manifest and the case folder give it
      v.image = dir / "mg" / (name + ".png");
      write_image(view.image, v.image);
      sc.record.mammography->pixel_mm = view.image.geometry.spacing[0];
      core::write_file_atomic(dir / "mg" / "pixel_mm.txt", core::format_double(view.image.geometry.spacing[0]) + "\n");
    } else {
      auto info = series_info(sc, "MG " + view.view, "MG", UID_DigitalMammographyXRayImageStorageForPresentation,
                              view.view == "CC" ? 1 : 2, o.synth.seed);
      info.bits_stored = 12;
      info.photometric = sc.site == 0 ? "MONOCHROME1" : "MONOCHROME2";
      info.laterality = sc.record.mammography->laterality;
      info.view_position = view.view;
      v.image = dir / "mg" / (name + ".dcm");
      dicom::write_dicom_frames({view.image}, info, v.image);
    }
    write_mask(view.mask, *v.mask);
    sc.record.mammography->views.push_back(std::move(v));
  }
}

void write_ultrasound(SynthCase& sc, const SynthWriteOptions& o, const fs::path& dir) {
  datasets::Ultrasound us;
  if (sc.site == 2) {
    for (size_t f = 0; f < sc.ultrasound_frames.size(); ++f) {
      us.frames.push_back(dir / "us" / core::concat("frame_", f + 1, ".png"));
      write_image(sc.ultrasound_frames[f], us.frames.back());
    }
    us.pixel_mm = sc.ultrasound_frames.front().geometry.spacing[0];
    core::write_file_atomic(dir / "us" / "pixel_mm.txt", core::format_double(*us.pixel_mm) + "\n");
  } else {
    auto info = series_info(sc, "US", "US", UID_UltrasoundMultiframeImageStorage, 1, o.synth.seed);
    if (sc.ultrasound_frames.size() == 1) info.sop_class_uid = UID_UltrasoundImageStorage;
    info.photometric = sc.site == 0 ? "RGB" : "MONOCHROME2";
    info.bits_stored = 8;
    info.ultrasound_regions = true;
    us.frames.push_back(dir / "us" / "us.dcm");
    dicom::write_dicom_frames(sc.ultrasound_frames, info, us.frames.back());
  }
  for (size_t f = 0; f < sc.ultrasound_masks.size(); ++f) {
    us.masks.push_back(dir / "us" / core::concat("mask_", f + 1, ".png"));
    write_mask(sc.ultrasound_masks[f], us.masks.back());
  }
  sc.record.ultrasound = std::move(us);
}

}  // namespace

size_t write_synthetic_cohort(const SynthWriteOptions& options, const fs::path& out) {
  const size_t n = options.synth.cases;
  std::vector<datasets::Case> records(n);
  std::vector<std::string> truth_rows(n);
  prepare_itk_for_threads();
  core::parallel_for(n, options.threads, [&](size_t i) {
    SynthCase sc = datasets::generate_case(options.synth, i);
    const fs::path dir = out / "cases" / sc.record.case_id;
    if (sc.has_mri) {
      write_mri(sc, options, dir);
      write_mask(sc.habitats, out / "truth" / sc.record.case_id / "habitats.nii.gz");
    }
    if (sc.has_mg) write_mammography(sc, options, dir);
    if (sc.has_us) write_ultrasound(sc, options, dir);
    // The clinical values inside the case folder too, so that each folder is a complete case for
    // `vbiopsy predict` (the cohort's table is clinical.csv beside the manifest).
    std::vector<std::string> values;
    for (const auto& column : datasets::clinical_columns())
      values.push_back(datasets::clinical_field_text(sc.record.clinical, column));
    core::write_file_atomic(dir / "clinical.csv",
                            core::csv_line(datasets::clinical_columns()) + core::csv_line(values));
    auto latent = [&](const char* key) {
      auto it = sc.latent.find(key);
      return it == sc.latent.end() ? std::string() : core::format_double(it->second);
    };
    truth_rows[i] = core::csv_line({sc.record.case_id, datasets::to_string(sc.truth), sc.record.site, latent("mri"),
                                    latent("mg"), latent("mg_calcification"), latent("us"), sc.has_mri ? "1" : "0",
                                    sc.has_mg ? "1" : "0", sc.has_us ? "1" : "0"});
    records[i] = std::move(sc.record);
  });
  datasets::Cohort cohort;
  cohort.cases = std::move(records);
  write_cohort(cohort, out / "manifest.csv", out / "clinical.csv");
  std::string truth = core::csv_line({"case_id", "true_class", "site", "latent_mri", "latent_mg",
                                      "latent_mg_calcification", "latent_us", "has_mri", "has_mg", "has_us"});
  for (auto& row : truth_rows) truth += row;
  core::write_file_atomic(out / "truth" / "truth.csv", truth);
  return n;
}

bool is_synthetic_cohort(const std::filesystem::path& manifest) {
  return std::filesystem::is_regular_file(manifest.parent_path() / "truth" / "truth.csv");
}

}  // namespace vbiopsy::modalities
