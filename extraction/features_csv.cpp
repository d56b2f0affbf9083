#include "extraction/features_csv.h"

#include <map>

#include "core/error.h"
#include "core/csv.h"
#include "core/files.h"
#include "core/strings.h"

namespace vbiopsy::extraction {

std::string ring_block_name(const std::string& sequence, double mm) {
  return core::concat("mri_", sequence, "_ring", core::format_double(mm), "mm");
}

std::vector<std::string> block_order(const CohortExtractionSettings& settings, int habitats) {
  std::vector<std::string> order{"mri_dce1_tumour"};
  for (double r : settings.rings_mm) order.push_back(ring_block_name("dce1", r));
  for (const auto& sequence : settings.sequences) {
    order.push_back("mri_" + sequence + "_tumour");
    for (double r : settings.rings_mm) order.push_back(ring_block_name(sequence, r));
  }
  if (settings.register_sequences) order.push_back("mri_registration");
  if (settings.kinetics) order.push_back("mri_kinetics");
  if (settings.tofts) order.push_back("mri_tofts");
  if (habitats > 0) order.push_back("mri_habitats");
  for (int h = 1; h <= habitats; ++h) order.push_back(core::concat("mri_dce1_habitat", h));
  for (const char* fixed : {"mg_cc_tumour", "mg_mlo_tumour", "us_tumour"}) order.push_back(fixed);
  if (!settings.retest.empty())  // blocks without a retest (kinetics, habitats) add no columns
    for (size_t b = 0, count = order.size(); b < count; ++b) order.push_back("retest_" + order[b]);
  return order;
}

void write_features_csv(const std::filesystem::path& file, const datasets::Cohort& cohort,
                        const std::vector<std::vector<Block>>& blocks, const std::vector<std::string>& order) {
  // A block's feature names as the first case that has it lists them.
  std::map<std::string, std::vector<std::string>> names_of_block;
  for (const auto& case_blocks : blocks)
    for (const auto& b : case_blocks)
      if (!names_of_block.count(b.name))
        for (const auto& [name, value] : b.values) names_of_block[b.name].push_back(name);
  std::vector<std::string> header{"case_id", "has_mri", "has_mg", "has_us"};
  for (const auto& b : order)
    for (const auto& name : names_of_block[b]) header.push_back(b + "_" + name);
  std::string csv = core::csv_line(header);
  for (size_t i = 0; i < cohort.cases.size(); ++i) {
    const auto& c = cohort.cases[i];
    std::map<std::string, std::string> cells;
    for (const auto& b : blocks[i])
      for (const auto& [name, value] : b.values) cells[b.name + "_" + name] = core::format_double(value);
    std::vector<std::string> row{c.case_id, c.mri ? "1" : "0", c.mammography ? "1" : "0", c.ultrasound ? "1" : "0"};
    for (size_t k = 4; k < header.size(); ++k) row.push_back(cells[header[k]]);
    csv += core::csv_line(row);
  }
  core::write_file_atomic(file, csv);
}

}  // namespace vbiopsy::extraction
