#pragma once
// The extraction's table, features.csv: one row per case in manifest order, columns case_id,
// has_mri, has_mg, has_us, then block by block in a fixed order (block_order), each block's
// features in extractor order. A block a case lacks leaves its cells empty, never zero.
#include <filesystem>
#include <string>
#include <vector>

#include "datasets/manifest.h"
#include "extraction/block_cache.h"
#include "extraction/settings.h"

namespace vbiopsy::extraction {

// The name of the radiomics block of a peritumoral ring: mri_<sequence>_ring<mm>mm.
std::string ring_block_name(const std::string& sequence, double mm);

// The blocks the settings can make, in column order (retest_<block> after all the others).
std::vector<std::string> block_order(const CohortExtractionSettings& settings, int habitats);

// blocks[i]: the blocks of cohort.cases[i].
void write_features_csv(const std::filesystem::path& file, const datasets::Cohort& cohort,
                        const std::vector<std::vector<Block>>& blocks, const std::vector<std::string>& order);

}  // namespace vbiopsy::extraction
