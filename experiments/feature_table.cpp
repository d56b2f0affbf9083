#include "experiments/feature_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/strings.h"
#include "core/warnings.h"

namespace vbiopsy::experiments {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A feature cell: a number, or missing (empty or nan); anything else is an error naming the cell,
// never a silent missing value.
double feature_value(const core::CsvTable& features, size_t row, size_t column) {
  const std::string cell = core::trim(features.rows[row][column]);
  if (cell.empty()) return kNaN;
  const auto value = core::parse_double(cell);
  if (!value)
    core::fail(features.source.string(), " line ", features.line_of_row(row), ", column ", features.header[column],
               ": '", cell, "' is not a number");
  return *value;
}

// A categorical value the columns do not know (a new case's category unseen in training) is named.
void warn_unknown_categories(const datasets::Case& c, const ClinicalSpec& spec) {
  std::map<std::string, double> seen;  // variable -> sum of its one-hot cells
  for (const auto& column : spec.columns)
    if (!column.category.empty()) {
      const double v = clinical_value(c.clinical, column);
      seen[column.variable] += std::isnan(v) ? 1 : v;
    }
  for (const auto& [variable, sum] : seen)
    if (sum == 0)
      core::warn(core::concat("case ", c.case_id, ": clinical ", variable,
                              " has a category the training cohort did not have; it enters as none of its categories"));
}

}  // namespace

const FeatureBlock& FeatureTable::block(const std::string& modality) const {
  for (const auto& b : blocks)
    if (b.modality == modality) return b;
  core::fail("the feature table has no modality '", modality, "'");
}

const ImageBlock* FeatureTable::image_block(const std::string& modality, const std::string& encoder) const {
  for (const auto& b : images)
    if (b->spec.modality == modality && b->spec.encoder == encoder) return b.get();
  return nullptr;
}

core::CsvTable case_id_table(const datasets::Cohort& cohort) {
  core::CsvTable table;
  table.source = "(no features: image encoders and clinical variables only)";
  table.header = {"case_id"};
  for (const auto& c : cohort.cases) {
    table.rows.push_back({c.case_id});
    table.row_lines.push_back(table.rows.size() + 1);
  }
  return table;
}

void add_image_block(FeatureTable& table, ImageBlock block) {
  if (block.present.size() != table.size())
    core::fail("crops of ", block.modality(), ": ", block.present.size(), " cases, the table has ", table.size());
  for (auto& b : table.blocks)
    if (b.modality == block.modality())
      for (size_t i = 0; i < table.size(); ++i) b.present[i] = b.present[i] && block.present[i];
  table.images.push_back(std::make_shared<const ImageBlock>(std::move(block)));
}

bool is_cohort_fitted_column(const std::string& column) {
  return column.rfind("mri_habitats_", 0) == 0 || column.rfind("mri_dce1_habitat", 0) == 0;
}

core::CsvTable join_by_case_id(const core::CsvTable& features, const core::CsvTable& extra) {
  const auto id = features.column("case_id"), extra_id = extra.column("case_id");
  if (!id) core::fail(features.source.string(), ": no case_id column");
  if (!extra_id) core::fail(extra.source.string(), ": no case_id column");
  std::map<std::string, size_t> row_of;
  for (size_t r = 0; r < extra.rows.size(); ++r)
    if (!row_of.emplace(core::trim(extra.rows[r][*extra_id]), r).second)
      core::fail(extra.source.string(), " line ", extra.line_of_row(r), ": case '",
                 core::trim(extra.rows[r][*extra_id]), "' appears twice");
  core::CsvTable out = features;
  std::vector<size_t> added;
  for (size_t j = 0; j < extra.header.size(); ++j) {
    if (j == *extra_id) continue;
    if (features.column(extra.header[j]))
      core::fail(extra.source.string(), ": column '", extra.header[j], "' is already in ",
                 features.source.filename().string());
    out.header.push_back(extra.header[j]);
    added.push_back(j);
  }
  std::vector<std::string> without;
  for (auto& row : out.rows) {
    const auto it = row_of.find(core::trim(row[*id]));
    if (it == row_of.end()) without.push_back(core::trim(row[*id]));
    for (size_t j : added) row.push_back(it == row_of.end() ? std::string() : extra.rows[it->second][j]);
  }
  if (!without.empty())
    core::warn(core::concat(extra.source.string(), ": no row for ", without.size(), " case(s) (", without.front(),
                            without.size() > 1 ? ", ..." : "", "); their columns from it are missing values"));
  return out;
}

FeatureTable build_feature_table(const datasets::Cohort& cohort, const core::CsvTable& features,
                                 const std::vector<std::string>& modalities,
                                 const std::map<std::string, std::vector<std::string>>& column_prefixes,
                                 bool labelled_only, const std::set<std::string>& image_only,
                                 const ClinicalSpec* clinical) {
  const auto id_column = features.column("case_id");
  if (!id_column) core::fail(features.source.string(), ": no case_id column");
  std::map<std::string, size_t> row_of;
  for (size_t r = 0; r < features.rows.size(); ++r) row_of[core::trim(features.rows[r][*id_column])] = r;

  FeatureTable table;
  std::vector<size_t> rows;
  std::vector<const datasets::Case*> cases;
  for (const auto& c : cohort.cases) {
    if (!c.label.her2 && labelled_only) {
      table.excluded.emplace_back(c.case_id, "indeterminate HER2 (IHC 2+ without ISH)");
      continue;
    }
    const auto it = row_of.find(c.case_id);
    if (it == row_of.end()) {
      table.excluded.emplace_back(c.case_id, "no row in " + features.source.filename().string());
      continue;
    }
    table.case_ids.push_back(c.case_id);
    table.patient_ids.push_back(c.patient_id.empty() ? c.case_id : c.patient_id);
    table.sites.push_back(c.site);
    table.labels.push_back(c.label.her2 ? static_cast<int>(*c.label.her2) : -1);
    rows.push_back(it->second);
    cases.push_back(&c);
  }
  if (table.case_ids.empty()) core::fail("no case has both a determinate HER2 label and a features row");
  const size_t n = table.case_ids.size();

  for (const auto& modality : modalities) {
    FeatureBlock block;
    block.modality = modality;
    if (image_only.count(modality)) {
      block.values.resize(static_cast<Eigen::Index>(n), 0);
      for (const auto* c : cases) block.present.push_back(has_images(*c, modality));
    } else if (modality == "clinical") {
      const auto requested = column_prefixes.find("clinical");
      table.clinical = clinical
                           ? *clinical
                           : clinical_spec(cohort, requested == column_prefixes.end() ? nullptr : &requested->second);
      for (const auto& column : table.clinical.columns) block.columns.push_back(column.name);
      block.values.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(block.columns.size()));
      for (size_t i = 0; i < n; ++i) {
        bool any = false;
        for (size_t j = 0; j < table.clinical.columns.size(); ++j) {
          const double v = clinical_value(cases[i]->clinical, table.clinical.columns[j]);
          block.values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = v;
          any = any || !std::isnan(v);
        }
        block.present.push_back(any);
        warn_unknown_categories(*cases[i], table.clinical);
      }
    } else if (modality == "habitats") {
      // Filled per training fold (fold_habitats.h); here only who has an MRI.
      const auto flag = features.column("has_mri");
      if (!flag) core::fail(features.source.string(), ": no has_mri column (write it with vbiopsy extract)");
      block.values.resize(static_cast<Eigen::Index>(n), 0);
      for (size_t i = 0; i < n; ++i) block.present.push_back(core::trim(features.rows[rows[i]][*flag]) == "1");
    } else if (modality == "mri" || modality == "mg" || modality == "us") {
      const auto flag = features.column("has_" + modality);
      if (!flag) core::fail(features.source.string(), ": no has_", modality, " column (write it with vbiopsy extract)");
      std::vector<size_t> source_columns;
      const auto prefixes =
          column_prefixes.count(modality) ? column_prefixes.at(modality) : std::vector<std::string>{modality + "_"};
      auto wanted = [&](const std::string& column) {
        if (is_cohort_fitted_column(column)) return false;
        for (const auto& prefix : prefixes)
          if (column.rfind(prefix, 0) == 0) return true;
        return false;
      };
      for (size_t j = 0; j < features.header.size(); ++j)
        if (wanted(features.header[j])) {
          source_columns.push_back(j);
          block.columns.push_back(features.header[j]);
        }
      const bool anywhere =
          std::any_of(rows.begin(), rows.end(), [&](size_t r) { return core::trim(features.rows[r][*flag]) == "1"; });
      if (source_columns.empty() && anywhere)
        core::fail(features.source.string(), ": no feature column for modality '", modality,
                   "' (prefixes: ", core::join(prefixes, ", "), ")");
      block.values.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(source_columns.size()));
      std::vector<std::optional<size_t>> retest_columns;
      bool any_retest = false;
      for (const auto j : source_columns) {
        retest_columns.push_back(features.column("retest_" + features.header[j]));
        any_retest = any_retest || retest_columns.back().has_value();
      }
      if (any_retest) block.retest.resize(block.values.rows(), block.values.cols());
      for (size_t i = 0; i < n; ++i) {
        const auto& row = features.rows[rows[i]];
        block.present.push_back(core::trim(row[*flag]) == "1");
        for (size_t j = 0; j < source_columns.size(); ++j) {
          block.values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
              feature_value(features, rows[i], source_columns[j]);
          if (!any_retest) continue;
          block.retest(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
              retest_columns[j] ? feature_value(features, rows[i], *retest_columns[j]) : kNaN;
        }
      }
    } else {
      core::fail("unknown modality '", modality, "'; known: mri, mg, us, clinical, habitats");
    }
    table.blocks.push_back(std::move(block));
  }
  return table;
}

}  // namespace vbiopsy::experiments
