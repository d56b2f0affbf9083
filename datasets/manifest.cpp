#include "datasets/manifest.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "datasets/clinical.h"

namespace vbiopsy::datasets {
namespace fs = std::filesystem;
namespace {

std::vector<std::string> list_cell(const std::string& cell) {
  std::vector<std::string> items;
  for (auto& part : core::split(cell, ';')) {
    std::string item = core::trim(part);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

std::vector<double> number_list(const std::string& cell, const char* column) {
  std::vector<double> values;
  for (auto& item : list_cell(cell)) {
    auto v = core::parse_double(item);
    if (!v || !std::isfinite(*v)) core::fail("'", item, "' in ", column, " is not a finite number");
    values.push_back(*v);
  }
  return values;
}

std::optional<double> pixel_size(const std::string& cell, const char* column) {
  if (cell.empty()) return std::nullopt;
  const auto v = core::parse_double(cell);
  if (!v || !(*v > 0) || *v > 10)
    core::fail(column, " = '", cell, "' is not a pixel size in mm (expected above 0 and at most 10)");
  return v;
}

PixelBox parse_box(const std::string& cell) {
  auto v = number_list(cell, "box");
  const bool whole = std::all_of(v.begin(), v.end(), [](double x) { return x == std::floor(x) && std::abs(x) <= 1e6; });
  if (v.size() != 4 || !whole || v[2] <= 0 || v[3] <= 0) {
    core::fail("box '", cell,
               "' must be x;y;width;height in whole pixels (at most 1000000) with positive width and height");
  }
  return {static_cast<int>(v[0]), static_cast<int>(v[1]), static_cast<int>(v[2]), static_cast<int>(v[3])};
}

// Case ids name folders of the outputs (habitat maps, case reports): a separator, "..", a leading
// dot or a control character could write outside them.
std::optional<std::string> unsafe_identifier(const std::string& id) {
  if (id.size() > 128) return core::concat("is ", id.size(), " characters long; at most 128 are allowed");
  if (id == "." || id == ".." || id[0] == '.')
    return std::string("starts with a dot; an identifier must not name a folder");
  for (unsigned char ch : id)
    if (!(std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || ch == '+' || ch == ' ' || ch == '@'))
      return core::concat(
          "holds the character '",
          ch < 32 || ch == 127 ? std::string("\\x") + std::to_string(int(ch)) : std::string(1, char(ch)),
          "'; identifiers use letters, digits, spaces and _ - . + @ only (no path separators)");
  return std::nullopt;
}

// A path as the manifest at `base` writes it: relative to that folder, both made absolute first (a
// relative path and an absolute folder have no lexical relation, which once gave empty cells).
std::string relative_text(const fs::path& path, const fs::path& base) {
  if (path.empty()) return {};
  const fs::path absolute = fs::absolute(path).lexically_normal();
  const fs::path relative = absolute.lexically_relative(fs::absolute(base).lexically_normal());
  return (relative.empty() ? absolute : relative).generic_string();
}

std::string number_list_text(const std::vector<double>& values) {
  std::vector<std::string> parts;
  for (double v : values) parts.push_back(core::format_double(v));
  return core::join(parts, ";");
}

std::string path_list_text(const std::vector<fs::path>& paths, const fs::path& base) {
  std::vector<std::string> parts;
  for (auto& p : paths) parts.push_back(relative_text(p, base));
  return core::join(parts, ";");
}

// Reads one manifest row into a case; the first unreadable cell throws, and the caller records it.
class RowReader {
 public:
  RowReader(const core::CsvTable& table, size_t row, const fs::path& base) : table_(table), row_(row), base_(base) {}

  std::string text(const char* column) const {
    auto c = table_.column(column);
    return c ? core::trim(table_.rows[row_][*c]) : std::string();
  }
  std::optional<fs::path> path(const char* column) const {
    std::string t = text(column);
    if (t.empty()) return std::nullopt;
    return resolve(t);
  }
  std::vector<fs::path> paths(const char* column) const {
    std::vector<fs::path> out;
    for (auto& item : list_cell(text(column))) out.push_back(resolve(item));
    return out;
  }
  fs::path resolve(const std::string& item) const {
    fs::path p(item);
    return p.is_absolute() ? p : (base_ / p).lexically_normal();
  }

 private:
  const core::CsvTable& table_;
  size_t row_;
  fs::path base_;
};

// Runs one field's parse; on failure records a problem at (line, column) and carries on.
template <typename Fn>
void guarded(std::vector<Problem>& problems, const std::string& case_id, const std::string& where, Fn&& fn) {
  try {
    fn();
  } catch (const core::Error& e) {
    problems.push_back({case_id, where, e.what()});
  }
}

void read_modalities(const RowReader& r, Case& c, std::vector<Problem>& problems, const std::string& where) {
  guarded(problems, c.case_id, where + ", MRI columns", [&] {
    auto dce = r.paths("mri_dce");
    if (dce.empty()) {
      for (const char* col : {"mri_t2", "mri_dwi", "mri_adc", "mri_mask", "mri_mask_reader2"})
        if (!r.text(col).empty()) core::fail(col, " is given but mri_dce is empty: DCE defines the MRI grid");
      return;
    }
    MriStudy mri;
    mri.dce = dce;
    mri.dce_times_s = number_list(r.text("mri_dce_times"), "mri_dce_times");
    if (mri.dce.size() > 1 && !mri.dce_times_s.empty() && mri.dce_times_s.size() != mri.dce.size())
      core::fail("mri_dce lists ", mri.dce.size(), " phases but mri_dce_times has ", mri.dce_times_s.size(), " times");
    mri.t2 = r.path("mri_t2");
    mri.dwi = r.paths("mri_dwi");
    mri.dwi_b_values = number_list(r.text("mri_dwi_b"), "mri_dwi_b");
    // One DWI entry may be a 4D file or a DICOM series holding every b-value: checked on loading.
    if (mri.dwi.size() > 1 && mri.dwi_b_values.size() != mri.dwi.size())
      core::fail("mri_dwi lists ", mri.dwi.size(), " volumes but mri_dwi_b has ", mri.dwi_b_values.size(), " b-values");
    mri.adc = r.path("mri_adc");
    auto mask = r.path("mri_mask");
    if (!mask) core::fail("mri_mask is empty but mri_dce is given: the MRI needs a tumour mask");
    mri.mask = *mask;
    mri.mask_reader2 = r.path("mri_mask_reader2");
    c.mri = std::move(mri);
  });
  guarded(problems, c.case_id, where + ", mammography columns", [&] {
    Mammography mg;
    mg.laterality = core::trim(r.text("mg_laterality"));
    if (!mg.laterality.empty()) {
      std::string l = core::to_lower(mg.laterality);
      if (l == "l" || l == "left")
        mg.laterality = "L";
      else if (l == "r" || l == "right")
        mg.laterality = "R";
      else
        core::fail("mg_laterality '", mg.laterality, "' is not L/left or R/right");
    }
    for (auto [view, image, mask, box] : {std::tuple{"CC", "mg_cc", "mg_cc_mask", "mg_cc_box"},
                                          std::tuple{"MLO", "mg_mlo", "mg_mlo_mask", "mg_mlo_box"}}) {
      auto path = r.path(image);
      if (!path) {
        if (!r.text(mask).empty() || !r.text(box).empty())
          core::fail(mask, "/", box, " given but ", image, " is empty");
        continue;
      }
      MammographyView v{view, *path, r.path(mask), std::nullopt};
      if (!r.text(box).empty()) v.box = parse_box(r.text(box));
      if (!v.mask && !v.box) core::fail(image, " has neither ", mask, " nor ", box);
      mg.views.push_back(std::move(v));
    }
    mg.pixel_mm = pixel_size(r.text("mg_pixel_mm"), "mg_pixel_mm");
    if (!mg.views.empty())
      c.mammography = std::move(mg);
    else if (mg.pixel_mm)
      core::fail("mg_pixel_mm given but neither mg_cc nor mg_mlo");
  });
  guarded(problems, c.case_id, where + ", ultrasound columns", [&] {
    Ultrasound us{r.paths("us_frames"), r.paths("us_masks"), pixel_size(r.text("us_pixel_mm"), "us_pixel_mm")};
    if (us.frames.empty()) {
      if (!us.masks.empty() || us.pixel_mm) core::fail("us_masks or us_pixel_mm given but us_frames is empty");
      return;
    }
    if (us.masks.empty()) core::fail("us_frames given but us_masks is empty");
    // Mask count against frame count is checked on loading: a DICOM file may hold several frames.
    c.ultrasound = std::move(us);
  });
}

void join_clinical(const fs::path& path, Cohort& cohort, std::vector<Problem>& problems) {
  core::CsvTable table;
  try {
    table = core::read_csv(path);
  } catch (const core::Error& e) {
    problems.push_back({"", path.string(), e.what()});
    return;
  }
  auto id_column = table.column("case_id");
  if (!id_column) {
    problems.push_back({"", path.string(), "no case_id column to join on"});
    return;
  }
  std::map<std::string, Case*> by_id;
  for (auto& c : cohort.cases) by_id[c.case_id] = &c;
  std::set<std::string> seen;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const std::string id = core::trim(table.rows[r][*id_column]);
    const std::string where = core::concat(path.filename().string(), " line ", table.line_of_row(r));
    if (!seen.insert(id).second) {
      problems.push_back({id, where, "duplicate case_id '" + id + "' in the clinical table"});
      continue;
    }
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      problems.push_back({id, where, "case_id '" + id + "' is not in the manifest"});
      continue;
    }
    for (size_t col = 0; col < table.header.size(); ++col) {
      if (col == *id_column) continue;
      auto canonical = canonical_clinical_column(table.header[col]);
      if (!canonical) {  // hospital tables carry more columns: kept for configs that name them
        it->second->clinical.extra[core::to_lower(core::trim(table.header[col]))] = core::trim(table.rows[r][col]);
        continue;
      }
      guarded(problems, id, where + ", column " + table.header[col],
              [&] { set_clinical_field(it->second->clinical, *canonical, table.rows[r][col]); });
    }
  }
}

}  // namespace

std::string to_string(const Problem& p) {
  std::string out = p.where;
  if (!p.case_id.empty()) out += " [case " + p.case_id + "]";
  return out + ": " + p.message;
}

const std::vector<std::string>& manifest_columns() {
  static const std::vector<std::string> kColumns = {
      "case_id",          "patient_id",    "site",        "ihc",        "ish",       "mri_dce",
      "mri_dce_times",    "mri_t2",        "mri_dwi",     "mri_dwi_b",  "mri_adc",   "mri_mask",
      "mri_mask_reader2", "mg_laterality", "mg_cc",       "mg_cc_mask", "mg_cc_box", "mg_mlo",
      "mg_mlo_mask",      "mg_mlo_box",    "mg_pixel_mm", "us_frames",  "us_masks",  "us_pixel_mm"};
  return kColumns;
}

CohortReading read_cohort(const fs::path& manifest, const std::optional<fs::path>& clinical, bool labels_required) {
  CohortReading reading;
  Cohort& cohort = reading.cohort;
  cohort.manifest = manifest;
  auto& problems = reading.problems;
  const std::string name = manifest.filename().string();
  core::CsvTable table;
  try {
    table = core::read_csv(manifest);
  } catch (const core::Error& e) {
    problems.push_back({"", manifest.string(), e.what()});
    return reading;
  }
  for (const char* required : {"case_id", "ihc"}) {
    if (!table.column(required) && (labels_required || std::string(required) != "ihc"))
      problems.push_back({"", name, core::concat("required column '", required, "' is missing")});
  }
  for (auto& header : table.header) {
    bool known = canonical_clinical_column(header).has_value();
    for (auto& c : manifest_columns()) known = known || core::to_lower(header) == c;
    if (!known)
      problems.push_back(
          {"", name,
           core::concat("unknown column '", header, "'; known columns: ", core::join(manifest_columns(), ", "))});
  }
  if (!problems.empty()) return reading;

  const fs::path base = manifest.parent_path();
  std::set<std::string> ids;
  for (size_t row = 0; row < table.rows.size(); ++row) {
    RowReader r(table, row, base);
    const std::string line = core::concat(name, " line ", table.line_of_row(row));
    Case c;
    c.case_id = r.text("case_id");
    if (c.case_id.empty()) {
      problems.push_back({"", line + ", column case_id", "empty case_id"});
      continue;
    }
    if (const auto unsafe = unsafe_identifier(c.case_id)) {
      problems.push_back({"", line + ", column case_id", core::concat("case_id '", c.case_id, "' ", *unsafe)});
      continue;
    }
    if (!ids.insert(c.case_id).second) {
      problems.push_back({c.case_id, line + ", column case_id", "duplicate case_id '" + c.case_id + "'"});
      continue;
    }
    c.patient_id = r.text("patient_id");
    if (c.patient_id.empty()) c.patient_id = c.case_id;
    c.site = r.text("site");
    std::optional<IshResult> ish_from_ihc;
    IhcScore ihc = IhcScore::kZero;
    bool label_ok = true;
    guarded(problems, c.case_id, line + ", column ihc", [&] {
      label_ok = false;
      if (!labels_required && r.text("ihc").empty()) return;
      auto parsed = parse_ihc(r.text("ihc"));
      ihc = parsed.ihc;
      ish_from_ihc = parsed.ish;
      label_ok = true;
    });
    IshResult ish = IshResult::kNotDone;
    guarded(problems, c.case_id, line + ", column ish", [&] {
      ish = parse_ish(r.text("ish"));
      if (ish_from_ihc) {
        if (ish != IshResult::kNotDone && ish != *ish_from_ihc)
          core::fail("ISH '", r.text("ish"), "' contradicts the ISH result in the ihc column '", r.text("ihc"), "'");
        ish = *ish_from_ihc;
      }
    });
    c.label = derive_her2(ihc, ish);
    if (!label_ok) c.label.her2.reset();
    for (size_t col = 0; col < table.header.size(); ++col) {
      auto canonical = canonical_clinical_column(table.header[col]);
      if (!canonical) continue;
      guarded(problems, c.case_id, line + ", column " + table.header[col],
              [&] { set_clinical_field(c.clinical, *canonical, table.rows[row][col]); });
    }
    read_modalities(r, c, problems, line);
    cohort.cases.push_back(std::move(c));
  }

  std::optional<fs::path> clinical_path = clinical;
  if (!clinical_path && fs::exists(base / "clinical.csv")) clinical_path = base / "clinical.csv";
  if (clinical_path) {
    cohort.clinical = clinical_path;
    join_clinical(*clinical_path, cohort, problems);
  }
  for (auto& c : cohort.cases) complete_receptor_status(c.clinical);
  return reading;
}

void write_cohort(const Cohort& cohort, const fs::path& manifest, const std::optional<fs::path>& clinical) {
  const fs::path base = manifest.parent_path();
  std::string text = core::csv_line(manifest_columns());
  for (const auto& c : cohort.cases) {
    std::map<std::string, std::string> cells;
    cells["case_id"] = c.case_id;
    cells["patient_id"] = c.patient_id;
    cells["site"] = c.site;
    cells["ihc"] = to_string(c.label.ihc);
    cells["ish"] = to_string(c.label.ish);
    if (c.mri) {
      cells["mri_dce"] = path_list_text(c.mri->dce, base);
      cells["mri_dce_times"] = number_list_text(c.mri->dce_times_s);
      if (c.mri->t2) cells["mri_t2"] = relative_text(*c.mri->t2, base);
      cells["mri_dwi"] = path_list_text(c.mri->dwi, base);
      cells["mri_dwi_b"] = number_list_text(c.mri->dwi_b_values);
      if (c.mri->adc) cells["mri_adc"] = relative_text(*c.mri->adc, base);
      cells["mri_mask"] = relative_text(c.mri->mask, base);
      if (c.mri->mask_reader2) cells["mri_mask_reader2"] = relative_text(*c.mri->mask_reader2, base);
    }
    if (c.mammography) {
      cells["mg_laterality"] = c.mammography->laterality;
      for (const auto& v : c.mammography->views) {
        const std::string prefix = v.view == "CC" ? "mg_cc" : "mg_mlo";
        cells[prefix] = relative_text(v.image, base);
        if (v.mask) cells[prefix + "_mask"] = relative_text(*v.mask, base);
        if (v.box)
          cells[prefix + "_box"] = core::concat(v.box->x, ";", v.box->y, ";", v.box->width, ";", v.box->height);
      }
    }
    if (c.mammography && c.mammography->pixel_mm) cells["mg_pixel_mm"] = core::format_double(*c.mammography->pixel_mm);
    if (c.ultrasound && c.ultrasound->pixel_mm) cells["us_pixel_mm"] = core::format_double(*c.ultrasound->pixel_mm);
    if (c.ultrasound) {
      cells["us_frames"] = path_list_text(c.ultrasound->frames, base);
      cells["us_masks"] = path_list_text(c.ultrasound->masks, base);
    }
    std::vector<std::string> row;
    for (auto& column : manifest_columns()) row.push_back(cells[column]);
    text += core::csv_line(row);
  }
  core::write_file_atomic(manifest, text);

  if (!clinical) return;
  std::vector<std::string> header = {"case_id"};
  for (auto& column : clinical_columns()) header.push_back(column);
  std::string clinical_text = core::csv_line(header);
  for (const auto& c : cohort.cases) {
    std::vector<std::string> row = {c.case_id};
    for (auto& column : clinical_columns()) row.push_back(clinical_field_text(c.clinical, column));
    clinical_text += core::csv_line(row);
  }
  core::write_file_atomic(*clinical, clinical_text);
}

}  // namespace vbiopsy::datasets
