#include "extraction/block_cache.h"

#include <algorithm>
#include <limits>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/strings.h"
#include "encoders/radiomics/regions.h"

namespace vbiopsy::extraction {
namespace fs = std::filesystem;

namespace {

// Bump when feature definitions change, so that old cache entries are not reused.
constexpr const char* kEngineVersion = "vbiopsy-radiomics-4";  // 4: keys from the canonical settings text

// The rows of a cache entry, each of `fields` fields (an entry is written whole, atomically; a
// hand-edited one is refused, not read past its rows' ends).
core::CsvTable read_entry(const fs::path& entry, size_t fields, const char* columns) {
  auto table = core::read_csv(entry);
  for (const auto& row : table.rows)
    if (row.size() != fields)
      core::fail(entry.string(), ": a row of ", row.size(), " fields, expected ", fields, " (", columns, ")");
  return table;
}

double value_of(const std::string& text) {
  const auto v = core::parse_double(text);
  return v ? *v : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

bool is_summary_block(const std::string& name) {
  return name == "mri_registration" || name == "mri_habitats" || name == "mri_tofts" || name == "mri_kinetics";
}

BlockCache::BlockCache(fs::path folder, const CohortExtractionSettings& settings)
    : folder_(std::move(folder)),
      settings_(settings),
      region_key_(std::string(kEngineVersion) + "\n" + write_cohort_settings(settings, false)),
      modality_key_(std::string(kEngineVersion) + "\n" + write_cohort_settings(settings)),
      region_settings_(settings.radiomics) {
  fs::create_directories(folder_);
  // The loaders reduce every mask to its region of setting.label (0/1): the engine takes it whole.
  region_settings_.label = encoders::radiomics::kAnyLabel;
}

std::vector<Block> BlockCache::radiomics(std::vector<Job> jobs) {
  // The second segmentation of every block but the habitats' (fitted on the cohort): the second
  // reader's, or the perturbed first one.
  const size_t originals = jobs.size();
  for (size_t j = 0; j < originals && !settings_.retest.empty(); ++j) {
    if (jobs[j].name.rfind("mri_dce1_habitat", 0) == 0) continue;
    auto sources = jobs[j].sources;
    core::Mask region;
    if (settings_.retest == "reader2") {
      if (!jobs[j].reader2) continue;  // no second reader for this region
      region = *jobs[j].reader2;
      sources.push_back(*jobs[j].reader2_source);
    } else {
      region = encoders::radiomics::perturbed_segmentation(jobs[j].mask, settings_.retest);
    }
    if (std::find(region.voxels.begin(), region.voxels.end(), 1) == region.voxels.end()) continue;  // eroded away
    jobs.push_back({"retest_" + jobs[j].name, jobs[j].image, std::move(region), std::move(sources),
                    jobs[j].region + ":" + settings_.retest, std::nullopt, std::nullopt});
  }
  std::vector<Block> blocks;
  for (const auto& job : jobs) blocks.push_back(radiomics_block(job));
  return blocks;
}

Block BlockCache::radiomics_block(const Job& job) {
  core::Sha256 key;
  key.add(region_key_);
  key.add(job.name);
  key.add(job.region);
  for (const auto& source : job.sources) key.add_path(source);
  const fs::path entry = folder_ / (key.hex() + ".csv");
  Block block{job.name, {}};
  if (fs::exists(entry)) {
    for (const auto& row : read_entry(entry, 2, "name,value").rows) block.values.emplace_back(row[0], value_of(row[1]));
    ++from_cache_;
    return block;
  }
  encoders::radiomics::FeatureList features;
  try {
    features = encoders::radiomics::extract_features(*job.image, job.mask, region_settings_);
  } catch (const core::Error& e) {
    std::vector<std::string> files;
    for (const auto& source : job.sources) files.push_back(source.string());
    core::fail("block ", job.name, " (", core::join(files, ", "), "): ", e.what());
  }
  std::string csv = core::csv_line({"name", "value"});
  for (const auto& f : features) {
    block.values.emplace_back(encoders::radiomics::column_name(f), f.value);
    csv += core::csv_line({encoders::radiomics::column_name(f), core::format_double(f.value)});
  }
  core::write_file_atomic(entry, csv);
  ++computed_;
  return block;
}

fs::path BlockCache::modality_entry(const std::string& modality, const std::string& inputs,
                                    const std::vector<fs::path>& files) const {
  core::Sha256 key;
  key.add(modality_key_);
  key.add(modality);
  key.add(inputs);
  for (const auto& file : files) key.add_path(file);
  return folder_ / (key.hex() + ".case.csv");
}

std::optional<std::vector<Block>> BlockCache::read_modality(const fs::path& entry) {
  if (!fs::exists(entry)) return std::nullopt;
  std::vector<Block> blocks;
  for (const auto& row : read_entry(entry, 3, "block,name,value").rows) {
    if (blocks.empty() || blocks.back().name != row[0]) blocks.push_back({row[0], {}});
    blocks.back().values.emplace_back(row[1], value_of(row[2]));
  }
  for (const auto& b : blocks) from_cache_ += !is_summary_block(b.name);
  return blocks;
}

void BlockCache::write_modality(const fs::path& entry, const std::vector<Block>& blocks) {
  std::string csv = core::csv_line({"block", "name", "value"});
  for (const auto& b : blocks)
    for (const auto& [name, value] : b.values) csv += core::csv_line({b.name, name, core::format_double(value)});
  core::write_file_atomic(entry, csv);
}

}  // namespace vbiopsy::extraction
