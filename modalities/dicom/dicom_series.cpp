#include "modalities/dicom/dicom_series.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/warnings.h"

namespace vbiopsy::modalities::dicom {
namespace fs = std::filesystem;
using core::fail;

namespace {

std::array<double, 3> cross(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

// Scanners write slice positions with jitter of about 0.1 mm. Like ITK/GDCM and dcm2niix, a series
// is one volume when every gap lies within kGapTolerance of the median gap and every slice within
// kDriftTolerance of a slice of where the uniform grid puts it; the spacing is then the mean gap,
// with a warning when the gaps differ measurably. A larger gap (a missing slice) is refused.
constexpr double kGapTolerance = 0.05, kDriftTolerance = 0.1;

double uniform_slice_spacing(const std::vector<Slice>& slices, const std::vector<double>& gaps,
                             const std::string& label) {
  std::vector<double> sorted = gaps;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  for (size_t k = 0; k < gaps.size(); ++k) {
    if (std::abs(gaps[k] - median) > kGapTolerance * median)
      fail(label, ": the gap between ", slices[k].source, " and ", slices[k + 1].source, " is ", gaps[k],
           " mm but the median gap is ", median, " mm (", gaps[k] / median, " times; gaps within ", kGapTolerance * 100,
           "% of the median are accepted)",
           gaps[k] > 1.5 * median ? ": a slice is missing" : ": not one evenly spaced volume");
  }
  double total = 0;
  for (double gap : gaps) total += gap;
  const double mean = total / double(gaps.size());
  double along = 0;
  for (size_t k = 0; k < gaps.size(); ++k) {
    along += gaps[k];
    const double drift = along - mean * double(k + 1);
    if (std::abs(drift) > kDriftTolerance * mean)
      fail(label, ": ", slices[k + 1].source, " lies ", drift, " mm from where an even spacing of ", mean,
           " mm puts it (more than ", kDriftTolerance, " of a slice)");
  }
  if (sorted.back() - sorted.front() > std::max(0.01, 1e-3 * mean))
    core::warn(core::concat(label, ": slice gaps vary from ", sorted.front(), " to ", sorted.back(), " mm (within the ",
                            kGapTolerance * 100, "% tolerance); the volume uses their mean, ", mean, " mm"));
  return mean;
}

std::vector<Slice> slices_of(DicomObject object) {
  std::vector<Slice> slices;
  const bool multi = object.frames.size() > 1;
  for (size_t f = 0; f < object.frames.size(); ++f) {
    Slice s{std::move(object.frames[f]),
            object.rows,
            object.columns,
            object.slice_thickness,
            object.repetition_time_ms,
            object.flip_angle_deg,
            multi ? core::concat(object.file.string(), " frame ", f + 1) : object.file.string(),
            object.file.string()};
    slices.push_back(std::move(s));
  }
  // Ultrasound regions give the physical spacing when the frame has no PixelSpacing.
  if (object.ultrasound_spacing) {
    for (auto& s : slices)
      if (!s.frame.pixel_spacing)
        s.frame.pixel_spacing = std::array<double, 2>{(*object.ultrasound_spacing)[1], (*object.ultrasound_spacing)[0]};
  }
  return slices;
}

std::vector<Slice> read_slices(const std::vector<fs::path>& files) {
  std::vector<Slice> slices;
  for (auto& file : files) {
    auto more = slices_of(read_dicom(file));
    std::move(more.begin(), more.end(), std::back_inserter(slices));
  }
  return slices;
}

const SeriesInfo& only_series(const std::vector<SeriesInfo>& series, const fs::path& folder) {
  if (series.empty()) fail(folder.string(), ": no DICOM files found");
  if (series.size() > 1) {
    std::string list;
    for (auto& s : series)
      list += core::concat("\n  ", s.series_uid, " (", s.files.size(), " files, '", s.description, "')");
    fail(folder.string(), ": holds ", series.size(), " series; expected one:", list);
  }
  return series.front();
}

std::vector<fs::path> files_of(const fs::path& path) {
  if (fs::is_directory(path)) return only_series(scan_folder(path), path).files;
  return {path};
}

std::string describe(const SeriesInfo& s) {
  return core::concat("series ", s.series_uid, " ('", s.description, "', SeriesNumber ",
                      s.number ? std::to_string(*s.number) : std::string("none"), ", AcquisitionTime ",
                      s.first_time_s ? core::concat(*s.first_time_s, " s") : std::string("none"), ")");
}

// Phases stored as separate series are ordered by acquisition time, ties broken by SeriesNumber.
// An order neither decides is an error: guessing (e.g. by UID) could swap pre- and post-contrast.
void order_phase_series(std::vector<SeriesInfo>& series, const std::string& label) {
  auto key = [](const SeriesInfo& s) { return std::pair(s.first_time_s.value_or(-1), s.number.value_or(-1)); };
  std::stable_sort(series.begin(), series.end(),
                   [&](const SeriesInfo& a, const SeriesInfo& b) { return key(a) < key(b); });
  for (size_t i = 1; i < series.size(); ++i) {
    const auto& a = series[i - 1];
    const auto& b = series[i];
    const bool same_time = a.first_time_s == b.first_time_s;
    if (!same_time) continue;
    if (a.number && b.number && *a.number != *b.number) {
      core::warn(core::concat(label, ": ", describe(a), " and ", describe(b),
                              " share their acquisition time; ordered by SeriesNumber"));
      continue;
    }
    fail(
        label, ": the order of the DCE phases is ambiguous: ", describe(a), " and ", describe(b),
        " have the same acquisition time and series number. Put each phase in its own folder (dce_0, dce_1, ... or the "
        "manifest's mri_dce list, pre-contrast first) with dce_times.txt / mri_dce_times giving the times");
  }
}

}  // namespace

std::vector<SeriesInfo> scan_folder(const fs::path& folder) {
  if (!fs::is_directory(folder)) fail(folder.string(), ": not a folder");
  std::vector<fs::path> files;
  for (auto& entry : fs::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name == "DICOMDIR" || name.starts_with(".")) continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, SeriesInfo> by_uid;
  for (auto& file : files) {
    DicomObject header = read_dicom(file, /*pixels=*/false);
    SeriesInfo& s = by_uid[header.series_uid];
    s.series_uid = header.series_uid;
    s.description = header.series_description;
    s.modality = header.modality;
    s.number = header.series_number;
    for (auto& f : header.frames) {
      if (f.acquisition_time_s && (!s.first_time_s || *f.acquisition_time_s < *s.first_time_s))
        s.first_time_s = f.acquisition_time_s;
    }
    s.files.push_back(file);
  }
  std::vector<SeriesInfo> out;
  for (auto& [uid, s] : by_uid) out.push_back(std::move(s));
  return out;
}

core::Image assemble_volume(std::vector<Slice> slices, const std::string& label) {
  if (slices.empty()) fail(label, ": no slices");
  const Slice& first = slices.front();
  for (auto& s : slices) {
    if (s.rows != first.rows || s.columns != first.columns)
      fail(label, ": ", s.source, " is ", s.columns, "x", s.rows, " pixels, but ", first.source, " is ", first.columns,
           "x", first.rows);
  }
  core::Geometry g;
  g.size = {first.columns, first.rows, slices.size()};
  if (first.frame.pixel_spacing) {
    g.spacing[0] = (*first.frame.pixel_spacing)[1];  // PixelSpacing is (row pitch, column pitch)
    g.spacing[1] = (*first.frame.pixel_spacing)[0];
    if (!(g.spacing[0] > 0 && g.spacing[1] > 0))
      fail(label, ": PixelSpacing ", g.spacing[1], "\\", g.spacing[0], " must be positive");
  }
  g.spacing[2] = first.thickness && *first.thickness > 0 ? *first.thickness : 1.0;

  std::array<double, 3> row_dir{1, 0, 0}, col_dir{0, 1, 0};
  if (first.frame.orientation) {
    auto& o = *first.frame.orientation;
    row_dir = {o[0], o[1], o[2]};
    col_dir = {o[3], o[4], o[5]};
    const double rn = std::sqrt(dot(row_dir, row_dir)), cn = std::sqrt(dot(col_dir, col_dir));
    if (rn < 1e-6 || cn < 1e-6 || std::abs(dot(row_dir, col_dir)) > 1e-3 * rn * cn)
      fail(label, ": ImageOrientationPatient of ", first.source, " is not two orthogonal vectors");
    for (int i = 0; i < 3; ++i) {
      row_dir[i] /= rn;
      col_dir[i] /= cn;
    }
  }
  const auto normal = cross(row_dir, col_dir);
  const bool one_file = std::all_of(slices.begin(), slices.end(), [&](const Slice& s) { return s.file == first.file; });
  const bool without_geometry = std::none_of(slices.begin(), slices.end(), [](const Slice& s) {
    return s.frame.orientation.has_value() || s.frame.position.has_value();
  });

  if (slices.size() > 1 && without_geometry && one_file) {
    // Old multi-frame objects (MR, XA, ultrasound cine) may carry no patient geometry at all: the
    // frames are a stack in stored order, on an identity orientation.
    core::warn(core::concat(first.file, ": ", slices.size(), " frames without ImageOrientationPatient (0020,0037) or ",
                            "ImagePositionPatient (0020,0032): read as a stack in stored order, ", g.spacing[2],
                            " mm apart (", first.thickness ? "SliceThickness" : "assumed", "), orientation unknown"));
  } else if (slices.size() > 1 && !first.frame.orientation) {
    fail(label, ": no ImageOrientationPatient (0020,0037) in ",
         first.file == label ? std::string("its first frame") : first.source, "; the ", slices.size(),
         " slices cannot be ordered into a volume");
  } else if (slices.size() > 1) {
    for (auto& s : slices) {
      if (!s.frame.position) fail(label, ": ", s.source, " has no ImagePositionPatient");
      if (!s.frame.orientation) fail(label, ": ", s.source, " has no ImageOrientationPatient");
      for (int i = 0; i < 6; ++i) {
        if (std::abs((*s.frame.orientation)[i] - (*first.frame.orientation)[i]) > 1e-3)
          fail(label, ": ", s.source, " is oriented differently from ", first.source);
      }
    }
    std::stable_sort(slices.begin(), slices.end(), [&](const Slice& a, const Slice& b) {
      return dot(*a.frame.position, normal) < dot(*b.frame.position, normal);
    });
    std::vector<double> gaps;
    for (size_t k = 1; k < slices.size(); ++k)
      gaps.push_back(dot(*slices[k].frame.position, normal) - dot(*slices[k - 1].frame.position, normal));
    for (size_t k = 0; k < gaps.size(); ++k) {
      if (gaps[k] < 1e-3)
        fail(label, ": ", slices[k].source, " and ", slices[k + 1].source,
             " lie at the same position; the series holds several volumes (phases or b-values)");
    }
    g.spacing[2] = uniform_slice_spacing(slices, gaps, label);
  }
  if (first.frame.position) g.origin = *slices.front().frame.position;
  for (int r = 0; r < 3; ++r) {
    g.direction[3 * r + 0] = row_dir[r];
    g.direction[3 * r + 1] = col_dir[r];
    g.direction[3 * r + 2] = normal[r];
  }
  core::Image image(g);
  const size_t per_slice = first.rows * first.columns;
  for (size_t k = 0; k < slices.size(); ++k)
    std::copy(slices[k].frame.pixels.begin(), slices[k].frame.pixels.end(),
              image.voxels.begin() + static_cast<std::ptrdiff_t>(k * per_slice));
  return image;
}

core::Image load_volume(const fs::path& path) { return assemble_volume(read_slices(files_of(path)), path.string()); }

std::vector<Phase> load_phases(const fs::path& path, PhaseKey key) {
  std::vector<std::vector<Slice>> groups;
  std::vector<std::optional<double>> group_values;
  const std::string label = path.string();
  auto group_by = [&](std::vector<Slice>& slices, auto value_of) {
    std::map<double, std::vector<Slice>> grouped;
    for (auto& s : slices) {
      auto v = value_of(s);
      if (!v) fail(label, ": ", s.source, " lacks the value that separates the phases");
      grouped[*v].push_back(std::move(s));
    }
    for (auto& [v, g] : grouped) {
      groups.push_back(std::move(g));
      group_values.push_back(v);
    }
  };

  std::vector<SeriesInfo> series;
  if (fs::is_directory(path)) series = scan_folder(path);
  if (fs::is_directory(path) && series.size() > 1) {
    if (key == PhaseKey::kBValue) fail(label, ": holds ", series.size(), " series; expected one DWI series");
    order_phase_series(series, label);
    for (auto& s : series) {
      groups.push_back(read_slices(s.files));
      group_values.push_back(s.first_time_s);
    }
  } else {
    auto slices = read_slices(fs::is_directory(path) ? only_series(series, path).files : std::vector<fs::path>{path});
    if (key == PhaseKey::kBValue) {
      group_by(slices, [](const Slice& s) { return s.frame.b_value; });
    } else {
      const bool temporal = std::all_of(slices.begin(), slices.end(),
                                        [](const Slice& s) { return s.frame.temporal_position.has_value(); });
      if (temporal) {
        // Temporal positions order the phases; the time of each is its earliest acquisition.
        std::map<int, std::optional<double>> first_time;
        for (auto& s : slices) {
          auto& t = first_time[*s.frame.temporal_position];
          if (s.frame.acquisition_time_s && (!t || *s.frame.acquisition_time_s < *t)) t = s.frame.acquisition_time_s;
        }
        group_by(slices, [](const Slice& s) -> std::optional<double> {
          return static_cast<double>(*s.frame.temporal_position);
        });
        group_values.clear();
        for (auto& [tp, t] : first_time) group_values.push_back(t);
      } else {
        group_by(slices, [](const Slice& s) { return s.frame.acquisition_time_s; });
      }
    }
  }
  std::vector<Phase> phases;
  for (size_t i = 0; i < groups.size(); ++i) {
    Phase p;
    p.repetition_time_ms = groups[i].front().repetition_time_ms;
    p.flip_angle_deg = groups[i].front().flip_angle_deg;
    p.image = assemble_volume(std::move(groups[i]), core::concat(label, " phase ", i + 1));
    if (key == PhaseKey::kBValue)
      p.b_value = group_values[i];
    else if (group_values[i] && group_values[0])
      p.time_s = *group_values[i] - *group_values[0];
    if (!phases.empty()) {
      auto mismatch = core::describe_grid_mismatch(phases.front().image.geometry, p.image.geometry);
      if (!mismatch.empty()) fail(label, ": phase ", i + 1, " is on another grid than phase 1: ", mismatch);
    }
    phases.push_back(std::move(p));
  }
  return phases;
}

}  // namespace vbiopsy::modalities::dicom
