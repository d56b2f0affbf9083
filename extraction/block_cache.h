#pragma once
// The extraction's cache (<out>/cache): the features of each region, keyed by the settings, the
// region and the content of its source files; and every block of one case's modality as a whole,
// keyed by the settings, the manifest's values for it and the content of all its input files, so
// that a rerun (or another run of the same settings) loads no image, builds no ring and fits no
// model. Safe to use from several threads.
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/image.h"
#include "extraction/settings.h"

namespace vbiopsy::extraction {

// One block of columns of a case (column prefix `name`).
struct Block {
  std::string name;
  std::vector<std::pair<std::string, double>> values;
};

// The blocks that are no radiomics of a region (and so are not counted as radiomics blocks).
bool is_summary_block(const std::string& name);

// One image + mask to extract, with what identifies it for the cache.
struct Job {
  std::string name;
  const core::Image* image;
  core::Mask mask;
  std::vector<std::filesystem::path> sources;  // files whose bytes define the input
  std::string region;                          // "tumour", "ring2mm"
  // The same region drawn by a second reader ([regions] retest = reader2), with its mask file.
  std::optional<core::Mask> reader2;
  std::optional<std::filesystem::path> reader2_source;
};

class BlockCache {
 public:
  BlockCache(std::filesystem::path folder, const CohortExtractionSettings& settings);

  // The radiomics of each job and of its retest segmentation ([regions] retest), in job order,
  // each from the cache or computed now.
  std::vector<Block> radiomics(std::vector<Job> jobs);

  // Every block of one case's modality: from the cache, or made by compute() and stored. `inputs`
  // names the manifest's values for it, `files` are all its input files.
  template <class Compute>
  std::vector<Block> modality(const std::string& modality, const std::string& inputs,
                              const std::vector<std::filesystem::path>& files, Compute&& compute) {
    const auto entry = modality_entry(modality, inputs, files);
    if (auto cached = read_modality(entry)) return std::move(*cached);
    std::vector<Block> blocks = compute();
    write_modality(entry, blocks);
    return blocks;
  }

  size_t computed() const { return computed_; }      // radiomics blocks computed now
  size_t from_cache() const { return from_cache_; }  // radiomics blocks read from the cache

 private:
  std::filesystem::path modality_entry(const std::string& modality, const std::string& inputs,
                                       const std::vector<std::filesystem::path>& files) const;
  std::optional<std::vector<Block>> read_modality(const std::filesystem::path& entry);
  static void write_modality(const std::filesystem::path& entry, const std::vector<Block>& blocks);
  Block radiomics_block(const Job& job);

  std::filesystem::path folder_;
  const CohortExtractionSettings& settings_;
  std::string region_key_;    // the settings that change a region's features
  std::string modality_key_;  // all the settings
  encoders::radiomics::ExtractionSettings region_settings_;
  std::atomic<size_t> computed_{0}, from_cache_{0};
};

}  // namespace vbiopsy::extraction
