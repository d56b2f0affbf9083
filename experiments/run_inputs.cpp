#include "experiments/run_inputs.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/random.h"
#include "core/strings.h"
#include "datasets/clinical_summary.h"
#include "encoders/nn/image_layouts.h"
#include "experiments/grid.h"
#include "experiments/image_inputs.h"

namespace vbiopsy::experiments {
namespace fs = std::filesystem;

namespace {

// The crops of every image encoder, made once per run (normalised per case: no fitting).
void add_crops(const ExperimentConfig& config, RunInputs& in, std::ostream& log) {
  for (const auto& m : config.modalities)
    for (const auto& e : encoder_choices(config, m)) {
      if (!encoders::is_image_encoder(e)) continue;
      const auto spec = ImageInputSpec::from(m, e, encoders::image_layout(e, m),
                                             config.image_options.count(m) ? config.image_options.at(m) : OptionMap{});
      const auto crop_started = std::chrono::steady_clock::now();
      const size_t failed_before = in.crop_failures.size();
      auto block =
          image_block_of(in.cohort, in.table.case_ids, spec, static_cast<unsigned>(config.threads), &in.crop_failures);
      log << "crops for " << m << " (" << e << "): " << std::count(block.present.begin(), block.present.end(), true)
          << " cases, shape " << shape_text(block.sample_shape) << ", "
          << std::chrono::duration<double>(std::chrono::steady_clock::now() - crop_started).count() << " s\n";
      for (size_t f = failed_before; f < in.crop_failures.size(); ++f)
        log << "case " << in.crop_failures[f].first << " left without " << m << ": " << in.crop_failures[f].second
            << "\n";
      add_image_block(in.table, std::move(block));
    }
}

// The habitat voxels of every case, clustered later per training set with the extraction's
// [habitats] settings.
void add_habitats(const ExperimentConfig& config, RunInputs& in, std::ostream& log) {
  const auto ini =
      config.extract.empty() ? config.features.parent_path() / extraction::kExtractionSettingsFile : config.extract;
  if (!fs::exists(ini))
    core::fail(
        "modality 'habitats' clusters with the extraction settings' [habitats] section; give [cohort] extract, or "
        "keep ",
        extraction::kExtractionSettingsFile, " beside ", config.features.string());
  auto& habitats = in.habitats.emplace();
  habitats.settings = extraction::read_cohort_extraction_settings(ini);
  in.text += "\nhabitat settings:" + core::read_text_file(ini);
  habitats.threads = habitats.settings.threads = static_cast<unsigned>(config.threads);
  std::vector<std::pair<std::string, std::string>> failures;
  habitats.voxels = habitat_voxels_of(in.cohort, in.table.case_ids, habitats.settings,
                                      static_cast<unsigned>(config.threads), &failures);
  for (const auto& [id, reason] : failures) log << "habitats: case " << id << " left without: " << reason << "\n";
  auto block = in.table.block("habitats");
  for (size_t i = 0; i < in.table.size(); ++i) block.present[i] = habitats.voxels[i].has_value();
  in.table = with_block(in.table, block);
}

}  // namespace

bool uses_habitats(const std::vector<std::string>& subset) {
  return std::find(subset.begin(), subset.end(), "habitats") != subset.end();
}

RunInputs load_run_inputs(const ExperimentConfig& config, std::ostream& log) {
  RunInputs in;
  auto reading =
      datasets::read_cohort(config.manifest, config.clinical.empty() ? std::nullopt : std::optional(config.clinical));
  if (!reading.problems.empty())
    core::fail("the cohort has ", reading.problems.size(),
               " problem(s); the first: ", datasets::to_string(reading.problems.front()), " (run vbiopsy validate)");
  in.cohort = std::move(reading.cohort);
  for (const auto& warning : datasets::clinical_unit_warnings(in.cohort)) log << "warning: " << warning << "\n";
  // Without features (image encoders and clinical variables only) the table starts from the cohort.
  auto features = config.features.empty() ? case_id_table(in.cohort) : core::read_csv(config.features);
  in.text =
      core::read_text_file(config.manifest) + (config.features.empty() ? "" : core::read_text_file(config.features));
  for (const auto& file : config.embeddings) {
    features = join_by_case_id(features, core::read_csv(file));
    in.text += core::read_text_file(file);
  }
  std::set<std::string> image_only;
  for (const auto& m : config.modalities)
    if (m != "clinical" && !needs_feature_columns(config, m)) image_only.insert(m);
  in.table = build_feature_table(in.cohort, features, config.modalities, config.column_prefixes, true, image_only);
  add_crops(config, in, log);
  if (uses_habitats(config.modalities)) add_habitats(config, in, log);
  in.labels = in.table.labels;
  if (config.permute_labels) {  // the negative control: any signal left is leakage
    core::Rng rng(core::derive_seed(config.seed, {19}));
    for (size_t i = in.labels.size(); i > 1; --i) std::swap(in.labels[i - 1], in.labels[rng.below(i)]);
  }
  // Everything else that can change a result (the habitat settings are added above): the clinical
  // table (given or found beside the manifest), the negative control (a command-line flag as well as
  // a config key), and the content of every crop the image encoders read (the images themselves).
  if (in.cohort.clinical) in.text += "\nclinical:" + core::read_text_file(*in.cohort.clinical);
  in.text += core::concat("\npermute_labels=", config.permute_labels);
  for (const auto& block : in.table.images) {
    core::Sha256 crops;
    crops.add(
        std::string_view(reinterpret_cast<const char*>(block->values.data()), block->values.size() * sizeof(float)));
    in.text += "\ncrops " + block->spec.modality + "/" + block->spec.encoder + ":" + crops.hex();
  }
  return in;
}

}  // namespace vbiopsy::experiments
