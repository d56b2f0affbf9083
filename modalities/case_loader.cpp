#include "modalities/case_loader.h"

#include <cmath>
#include <tuple>

#include "core/error.h"
#include "core/warnings.h"
#include "modalities/dicom/dicom_series.h"
#include "modalities/image_io.h"
#include "modalities/mask_loading.h"
#include "modalities/mri/resampling.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;
using core::fail;

namespace {

// A 2D image's pixel size: the DICOM's own wins; a picture (which carries none) or a DICOM without
// one takes the manifest's <modality>_pixel_mm; otherwise 1 mm is assumed, with a warning. Returns
// where the size came from.
std::string settle_pixel_size(core::Image& image, const fs::path& path, const std::string& file_source,
                              const std::optional<double>& manifest_mm, const char* column) {
  auto& spacing = image.geometry.spacing;
  if (!file_source.empty()) {
    if (manifest_mm && (std::abs(spacing[0] - *manifest_mm) > 0.01 * *manifest_mm ||
                        std::abs(spacing[1] - *manifest_mm) > 0.01 * *manifest_mm))
      core::warn(core::concat(path.string(), ": ", column, " ", *manifest_mm, " mm differs from the file's ",
                              file_source, " (", spacing[0], " x ", spacing[1], " mm), which is used"));
    return file_source;
  }
  if (manifest_mm) {
    spacing[0] = spacing[1] = *manifest_mm;
    return std::string(column) + " of the manifest";
  }
  core::warn(core::concat(path.string(), ": the file gives no pixel size and the manifest no ", column,
                          "; 1 mm pixels assumed, so "
                          "sizes and textures in mm are wrong unless that is true"));
  spacing[0] = spacing[1] = 1.0;
  return "assumed 1 mm";
}

core::Image frame_to_image(const dicom::DicomObject& object, size_t f) {
  core::Geometry g;
  g.size = {object.columns, object.rows, 1};
  if (const auto& s = object.frames[f].pixel_spacing) {
    g.spacing = {(*s)[1], (*s)[0], 1.0};
  } else if (object.ultrasound_spacing) {
    g.spacing = {(*object.ultrasound_spacing)[0], (*object.ultrasound_spacing)[1], 1.0};
  }
  core::Image image(g);
  image.voxels = object.frames[f].pixels;
  return image;
}

// A 2D image with the source of its pixel size (empty for pictures).
std::pair<core::Image, std::string> read_2d(const fs::path& path) {
  std::string source;
  core::Image image;
  if (file_kind(path) == FileKind::kDicom && !fs::is_directory(path)) {
    const auto object = dicom::read_dicom(path);
    image = frame_to_image(object, 0);
    source = object.spacing_source;
  } else {
    image = read_image(path);
    if (file_kind(path) == FileKind::kItk) source = "the file's header";
  }
  if (image.geometry.size[2] != 1)
    fail(path.string(), ": has ", image.geometry.size[2], " slices; expected a 2D image");
  return {std::move(image), source};
}

}  // namespace

LoadedMri load_mri(const datasets::MriStudy& study) {
  LoadedMri mri;
  if (study.dce.empty()) fail("MRI study without DCE phases");
  const fs::path& first = study.dce.front();
  if (study.dce.size() == 1) {
    if (file_kind(first) != FileKind::kDicom)
      fail(first.string(),
           ": a single DCE entry must be a DICOM series holding every phase; "
           "list one file per phase otherwise");
    for (auto& phase : dicom::load_phases(first, dicom::PhaseKey::kTime)) {
      if (phase.repetition_time_ms && !mri.repetition_time_s)
        mri.repetition_time_s = *phase.repetition_time_ms / 1000.0;
      if (phase.flip_angle_deg && !mri.flip_angle_deg) mri.flip_angle_deg = phase.flip_angle_deg;
      mri.dce.push_back(std::move(phase.image));
      if (phase.time_s) mri.dce_times_s.push_back(*phase.time_s);
    }
    if (mri.dce_times_s.size() != mri.dce.size()) mri.dce_times_s.clear();
  } else {
    for (auto& path : study.dce) {
      mri.dce.push_back(read_image(path));
      const std::string mismatch = core::describe_grid_mismatch(mri.dce.front().geometry, mri.dce.back().geometry);
      if (!mismatch.empty()) fail(path.string(), ": DCE phase on another grid than ", first.string(), ": ", mismatch);
    }
  }
  if (!study.dce_times_s.empty()) mri.dce_times_s = study.dce_times_s;  // the manifest wins
  if (mri.dce.size() < 2)
    fail(first.string(), ": ", mri.dce.size(),
         " DCE phase(s); expected a pre-contrast and at least one post-contrast phase");
  if (mri.dce_times_s.empty()) fail(first.string(), ": no acquisition times for the DCE phases (give mri_dce_times)");
  if (mri.dce_times_s.size() != mri.dce.size())
    fail(first.string(), ": ", mri.dce.size(), " DCE phases but ", mri.dce_times_s.size(), " times");
  for (size_t i = 1; i < mri.dce_times_s.size(); ++i) {
    if (!(mri.dce_times_s[i] > mri.dce_times_s[i - 1]))
      fail(first.string(), ": DCE times are not increasing: phase ", i + 1, " at ", mri.dce_times_s[i],
           " s after phase ", i, " at ", mri.dce_times_s[i - 1], " s");
  }
  if (study.t2) mri.t2 = read_image(*study.t2);
  if (study.dwi.size() == 1 && file_kind(study.dwi.front()) == FileKind::kDicom && study.dwi_b_values.empty()) {
    for (auto& phase : dicom::load_phases(study.dwi.front(), dicom::PhaseKey::kBValue)) {
      mri.dwi.push_back(std::move(phase.image));
      mri.dwi_b_values.push_back(*phase.b_value);
    }
  } else if (study.dwi.size() == 1) {
    mri.dwi = read_image_series(study.dwi.front());  // one 4D file holds every b-value
    mri.dwi_b_values = study.dwi_b_values;
  } else {
    for (auto& path : study.dwi) mri.dwi.push_back(read_image(path));
    mri.dwi_b_values = study.dwi_b_values;
  }
  if (!mri.dwi.empty() && mri.dwi_b_values.size() != mri.dwi.size())
    fail(study.dwi.front().string(), ": ", mri.dwi.size(), " DWI volumes but ", mri.dwi_b_values.size(), " b-values");
  if (study.adc) mri.adc = read_image(*study.adc);
  mri.mask = load_mask_for(study.mask, mri.dce.front(), first);
  if (study.mask_reader2) mri.mask_reader2 = load_mask_for(*study.mask_reader2, mri.dce.front(), first);
  const core::Geometry& grid = mri.dce.front().geometry;
  if (mri.t2) mri.t2 = mri::resample_to_grid(*mri.t2, grid);
  for (auto& volume : mri.dwi) volume = mri::resample_to_grid(volume, grid);
  if (mri.adc) mri.adc = mri::resample_to_grid(*mri.adc, grid);
  return mri;
}

std::vector<LoadedMammographyView> load_mammography(const datasets::Mammography& mammography) {
  std::vector<LoadedMammographyView> views;
  for (const auto& v : mammography.views) {
    LoadedMammographyView loaded{v.view, mammography.laterality, {}, {}, {}};
    std::string source;
    if (file_kind(v.image) == FileKind::kDicom) {
      auto object = dicom::read_dicom(v.image);
      loaded.image = frame_to_image(object, 0);
      source = object.spacing_source;
      std::string dicom_view = object.view_position;
      if (!dicom_view.empty() && dicom_view != v.view)
        fail(v.image.string(), ": ViewPosition is ", dicom_view, " but the manifest lists it as ", v.view);
      if (!object.laterality.empty()) {
        if (!loaded.laterality.empty() && loaded.laterality != object.laterality)
          fail(v.image.string(), ": ImageLaterality is ", object.laterality, " but the manifest says ",
               loaded.laterality);
        loaded.laterality = object.laterality;
      }
    } else {
      std::tie(loaded.image, source) = read_2d(v.image);
    }
    loaded.spacing_source = settle_pixel_size(loaded.image, v.image, source, mammography.pixel_mm, "mg_pixel_mm");
    if (v.mask) {
      loaded.mask = load_mask_for(*v.mask, loaded.image, v.image);
    } else {
      const auto& b = *v.box;
      const auto& size = loaded.image.geometry.size;
      if (b.x < 0 || b.y < 0 || static_cast<size_t>(b.x + b.width) > size[0] ||
          static_cast<size_t>(b.y + b.height) > size[1])
        fail(v.image.string(), ": lesion box ", b.x, ";", b.y, ";", b.width, ";", b.height, " lies outside the ",
             size[0], "x", size[1], " image");
      loaded.mask = core::Mask(loaded.image.geometry);
      for (int y = b.y; y < b.y + b.height; ++y)
        for (int x = b.x; x < b.x + b.width; ++x) loaded.mask.at(x, y, 0) = 1;
    }
    views.push_back(std::move(loaded));
  }
  return views;
}

LoadedUltrasound load_ultrasound(const datasets::Ultrasound& ultrasound) {
  LoadedUltrasound us;
  std::vector<fs::path> sources;  // the file each frame came from, for messages
  for (const auto& path : ultrasound.frames) {
    if (file_kind(path) == FileKind::kDicom && !fs::is_directory(path)) {
      auto object = dicom::read_dicom(path);
      for (size_t f = 0; f < object.frames.size(); ++f) {
        us.frames.push_back(frame_to_image(object, f));
        sources.push_back(path);
        us.spacing_sources.push_back(object.spacing_source);
      }
    } else {
      auto [image, source] = read_2d(path);
      us.frames.push_back(std::move(image));
      sources.push_back(path);
      us.spacing_sources.push_back(source);
    }
  }
  for (size_t f = 0; f < us.frames.size(); ++f)
    us.spacing_sources[f] =
        settle_pixel_size(us.frames[f], sources[f], us.spacing_sources[f], ultrasound.pixel_mm, "us_pixel_mm");
  if (ultrasound.masks.size() != 1 && ultrasound.masks.size() != us.frames.size())
    fail(ultrasound.frames.front().string(), ": ", us.frames.size(), " ultrasound frames but ", ultrasound.masks.size(),
         " masks; expected 1 or one per frame");
  for (size_t f = 0; f < us.frames.size(); ++f) {
    const auto& mask_path = ultrasound.masks.size() == 1 ? ultrasound.masks[0] : ultrasound.masks[f];
    us.masks.push_back(load_mask_for(mask_path, us.frames[f], sources[f]));
  }
  return us;
}

}  // namespace vbiopsy::modalities
