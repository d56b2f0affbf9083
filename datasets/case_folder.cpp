#include "datasets/case_folder.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"

namespace vbiopsy::datasets {

namespace fs = std::filesystem;

namespace {

// The name without its image suffix (core::image_suffixes); nullopt for files that are not images
// themselves (the pixel data of .mhd/.nhdr headers, text files, hidden files).
std::optional<std::string> image_stem(const fs::directory_entry& entry) {
  const std::string name = entry.path().filename().string();
  if (name.empty() || name[0] == '.') return std::nullopt;
  if (entry.is_directory()) return name;  // a DICOM folder
  const std::string lower = core::to_lower(name);
  if (const auto* suffix = core::image_suffix_of(lower))
    return lower.substr(0, lower.size() - std::string(suffix->suffix).size());
  if (lower.find('.') == std::string::npos) return lower;  // a suffix-less DICOM file
  return std::nullopt;
}

std::vector<fs::directory_entry> sorted_entries(const fs::path& folder) {
  std::vector<fs::directory_entry> entries(fs::directory_iterator(folder), fs::directory_iterator{});
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return entries;
}

// "dce_12" with prefix "dce_" -> 12; nullopt when the rest is not a whole number.
std::optional<double> number_after(const std::string& stem, const std::string& prefix) {
  if (stem.rfind(prefix, 0) != 0 || stem.size() == prefix.size()) return std::nullopt;
  return core::parse_double(stem.substr(prefix.size()));
}

std::string joined(const std::vector<std::pair<double, fs::path>>& items, bool numbers) {
  std::vector<std::string> out;
  for (const auto& [number, path] : items)
    out.push_back(numbers ? core::format_double(number) : fs::absolute(path).string());
  return core::join(out, ";");
}

// The numbers of a small text file (separated by commas, semicolons or white space), as a ';' list.
std::string number_file(const fs::path& path) {
  std::string text = core::read_text_file(path);
  for (char& c : text)
    if (c == ',' || c == '\n' || c == '\r' || c == '\t' || c == ' ') c = ';';
  std::vector<std::string> numbers;
  for (const auto& part : core::split(text, ';'))
    if (!part.empty()) {
      if (!core::parse_double(part)) core::fail(path.string(), ": '", part, "' is not a number");
      numbers.push_back(part);
    }
  return core::join(numbers, ";");
}

[[noreturn]] void unrecognised(const fs::path& path, const char* expected) {
  core::fail("case folder: ", path.string(), " fits no naming rule; expected ", expected,
             " (see vbiopsy predict --help)");
}

void mri_cells(const fs::path& folder, std::map<std::string, std::string>& cells) {
  std::vector<std::pair<double, fs::path>> phases, dwi;
  for (const auto& entry : sorted_entries(folder)) {
    const std::string name = core::to_lower(entry.path().filename().string());
    if (name == "dce_times.txt") {
      cells["mri_dce_times"] = number_file(entry.path());
      continue;
    }
    const auto stem = image_stem(entry);
    if (!stem) {
      if (name[0] == '.' || name.ends_with(".raw") || name.ends_with(".zraw") || name.ends_with(".raw.gz")) continue;
      unrecognised(entry.path(), "dce, dce_<n>, dce_times.txt, t2, dwi, dwi_b<b>, adc, mask, mask_reader2");
    }
    if (*stem == "dce") {
      phases.emplace_back(-1, entry.path());
    } else if (const auto n = number_after(*stem, "dce_")) {
      phases.emplace_back(*n, entry.path());
    } else if (*stem == "dwi") {
      dwi.emplace_back(-1, entry.path());
    } else if (const auto b = number_after(*stem, "dwi_b")) {
      dwi.emplace_back(*b, entry.path());
    } else if (*stem == "t2" || *stem == "adc" || *stem == "mask" || *stem == "mask_reader2") {
      cells["mri_" + *stem] = fs::absolute(entry.path()).string();
    } else {
      unrecognised(entry.path(), "dce, dce_<n>, dce_times.txt, t2, dwi, dwi_b<b>, adc, mask, mask_reader2");
    }
  }
  if (phases.empty()) core::fail("case folder: ", folder.string(), " has no DCE (dce/ or dce_0, dce_1, ...)");
  if (!cells.count("mri_mask"))
    core::fail("case folder: ", folder.string(), " has no tumour mask: expected ", (folder / "mask").string(),
               " (.nii.gz, .nrrd, a DICOM file or folder, ...) on the DCE grid");
  if (phases.size() > 1 && phases.front().first < 0)
    core::fail("case folder: ", folder.string(), " has both a dce folder and dce_<n> phases; keep one");
  std::sort(phases.begin(), phases.end());
  std::sort(dwi.begin(), dwi.end());
  cells["mri_dce"] = joined(phases, false);
  if (dwi.size() > 1 && dwi.front().first < 0)
    core::fail("case folder: ", folder.string(), " has both a dwi folder and dwi_b<b> volumes; keep one");
  if (!dwi.empty()) {
    cells["mri_dwi"] = joined(dwi, false);
    if (dwi.front().first >= 0) cells["mri_dwi_b"] = joined(dwi, true);  // else from the DICOM
  }
}

// pixel_mm.txt: one positive number, the pixel size of pictures (PNG, JPEG, ...), which carry none.
std::string pixel_size_file(const fs::path& path) {
  const std::string value = number_file(path);
  const auto v = core::parse_double(value);
  if (!v || !(*v > 0)) core::fail(path.string(), ": '", value, "' is not one positive pixel size in mm");
  return value;
}

void mg_cells(const fs::path& folder, std::map<std::string, std::string>& cells) {
  std::map<std::string, fs::path> images;
  for (const auto& entry : sorted_entries(folder)) {
    const std::string name = core::to_lower(entry.path().filename().string());
    if (name == "laterality.txt") {
      cells["mg_laterality"] = core::trim(core::read_text_file(entry.path()));
      continue;
    }
    if (name == "pixel_mm.txt") {
      cells["mg_pixel_mm"] = pixel_size_file(entry.path());
      continue;
    }
    const auto stem = image_stem(entry);
    if (stem && (*stem == "cc" || *stem == "mlo" || *stem == "cc_mask" || *stem == "mlo_mask")) {
      cells["mg_" + *stem] = fs::absolute(entry.path()).string();
      images[*stem] = entry.path();
    } else if (name[0] != '.') {
      unrecognised(entry.path(), "cc, cc_mask, mlo, mlo_mask, laterality.txt, pixel_mm.txt");
    }
  }
  for (const char* view : {"cc", "mlo"})
    if (images.count(view) && !images.count(std::string(view) + "_mask"))
      core::fail("case folder: ", images[view].string(), " has no mask: expected ", (folder / view).string(),
                 "_mask (an image or DICOM of the view's size)");
}

void us_cells(const fs::path& folder, std::map<std::string, std::string>& cells) {
  std::vector<std::string> frames, masks;
  for (const auto& entry : sorted_entries(folder)) {
    if (core::to_lower(entry.path().filename().string()) == "pixel_mm.txt") {
      cells["us_pixel_mm"] = pixel_size_file(entry.path());
      continue;
    }
    const auto stem = image_stem(entry);
    if (!stem) {
      if (entry.path().filename().string()[0] == '.') continue;
      unrecognised(entry.path(), "image files (frames), mask* images and pixel_mm.txt");
    }
    (stem->rfind("mask", 0) == 0 ? masks : frames).push_back(fs::absolute(entry.path()).string());
  }
  if (!frames.empty() && masks.empty())
    core::fail("case folder: ", folder.string(), " has ultrasound frames (", frames.front(), ") but no mask: expected ",
               (folder / "mask").string(), ".png (one for every frame) or mask_1.png, mask_2.png, ... (one per frame)");
  cells["us_frames"] = core::join(frames, ";");
  cells["us_masks"] = core::join(masks, ";");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> case_folder_cells(const fs::path& folder) {
  if (!fs::is_directory(folder)) core::fail("case folder ", folder.string(), " is not a folder");
  std::map<std::string, std::string> cells;
  auto normal = fs::absolute(folder).lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();  // "case/" names the folder "case"
  cells["case_id"] = normal.filename().string();
  bool any = false;
  for (const auto& entry : sorted_entries(folder)) {
    const std::string name = core::to_lower(entry.path().filename().string());
    if (entry.is_directory() && name == "mri")
      mri_cells(entry.path(), cells);
    else if (entry.is_directory() && name == "mg")
      mg_cells(entry.path(), cells);
    else if (entry.is_directory() && name == "us")
      us_cells(entry.path(), cells);
    else if (name == "clinical.csv") {
      const auto table = core::read_csv(entry.path());
      if (table.rows.size() != 1)
        core::fail(entry.path().string(), ": ", table.rows.size(), " data rows, expected one (this case's values)");
      for (size_t j = 0; j < table.header.size(); ++j)
        if (!core::trim(table.rows[0][j]).empty())
          cells[core::to_lower(core::trim(table.header[j]))] = core::trim(table.rows[0][j]);
    } else if (name[0] != '.') {
      unrecognised(entry.path(), "mri/, mg/, us/, clinical.csv");
    }
    any = true;
  }
  if (!any) core::fail("case folder ", folder.string(), " is empty");
  return {cells.begin(), cells.end()};
}

void write_case_folder_manifest(const fs::path& folder, const fs::path& manifest) {
  std::vector<std::string> header, row;
  for (const auto& [column, value] : case_folder_cells(folder)) {
    header.push_back(column);
    row.push_back(value);
  }
  if (std::find(header.begin(), header.end(), "ihc") == header.end()) {
    header.push_back("ihc");
    row.push_back("");
  }
  core::write_file_atomic(manifest, core::csv_line(header) + core::csv_line(row));
}

}  // namespace vbiopsy::datasets
