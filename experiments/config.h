#pragma once
// An experiment config (INI, read with Boost.Program_options). Sections:
//   [cohort]      manifest, clinical (optional), and features (the features.csv of `vbiopsy
//                 extract`) or extract (extraction settings: the run extracts into extract_into,
//                 default RUN_DIR/features, whose content-keyed cache other runs may share),
//                 embeddings (comma list of CSVs `case_id,<modality>_...` joined to the features
//                 by case id: features computed elsewhere, e.g. a foundation model's embeddings)
//   [columns]     <modality> = comma list of feature-column prefixes to use (default: all)
//   [experiment]  modalities (mri,mg,us,clinical, and habitats: MRI habitats clustered per training
//                 fold with the extraction settings' [habitats] section), subsets (all | list separated by ';', each
//                 modality list joined by '+'), fusion (comma list of fusion methods and/or
//                 classical classifiers, which see the early concatenation of features),
//                 validation (kfold | leave_one_site_out | test_sites, with test_sites = A,B), folds, repeats, seed,
//                 threads, bootstrap (resamples), max_features (per modality, per fold), selection (anova | lasso |
//                 mrmr), correlation (filter threshold, 0 = off), icc (reproducibility filter: minimum ICC(3,1) with
//                 the retest features of a second segmentation, 0 = off), lasso_lambda, reference (model name; default
//                 the best single modality), comparisons (reference: each model vs the reference, the default |
//                 all_pairs; Holm within each endpoint), permute_labels (negative control), harmonisation (none |
//                 combat: ComBat across sites on the imaging blocks, fitted on each fold's training cases), export
//                 (models refitted on every training case into RUN_DIR/models/ for `vbiopsy predict`: best (default;
//                 the best macro-AUC) | all | none | model names)
//   [training]    any training option (see `vbiopsy list`)
//   [head]        head options
//   [encoder.<modality>]  name = encoder, or a comma list of encoders (an encoder axis of the
//                         grid), and options for every encoder of the modality (default
//                         radiomics_mlp; clinical)
//   [encoder.<modality>.<encoder>]  options of that encoder only
//   [images.<modality>]   crop settings of the image encoders (cnn2d, cnn3d, vit2d; image_inputs.h)
//   [fusion.<method>]     the method's (or classifier's) options
//   [source]      for a recipe of a published design: authors, title, journal, year, doi, cohort
//                 (which of the paper's cohorts its figures are from), model (the grid cell that
//                 stands for the published model; default the best), and published_<metric> (the
//                 paper's figure of a metrics.json metric, e.g. published_auc_zero = 0.873); the
//                 report sets them beside this run's figures
// Neither features nor extract is needed when no modality reads feature columns (image encoders
// and the clinical variables only).
// Relative paths are relative to the config file's folder.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace vbiopsy::experiments {

using OptionMap = std::map<std::string, std::string>;

struct ExperimentConfig {
  std::filesystem::path source;
  std::string text;  // the config file's bytes, recorded in run.json
  std::filesystem::path manifest, features, clinical;
  std::vector<std::string> modalities{"mri", "mg", "us", "clinical"};
  std::vector<std::vector<std::string>> subsets;  // every non-empty subset when "all"
  std::vector<std::string> fusions{"early"};
  // kfold (stratified by patient, repeated), leave_one_site_out, or test_sites (train on the
  // other sites, test once on these: external validation).
  std::string validation = "kfold";
  std::vector<std::string> test_sites;
  int folds = 5, repeats = 1, bootstrap = 1000, max_features = 32, threads = 1;
  std::string harmonisation = "none";  // none | combat
  std::string selection = "anova";     // anova | lasso | mrmr (per modality, inside each fold)
  double correlation = 0;              // correlation filter threshold; 0 = off
  double lasso_lambda = 0.02;
  double icc = 0;  // ICC filter threshold (needs retest features); 0 = off
  uint64_t seed = 1;
  std::string reference;
  // The family of paired DeLong tests that Holm's correction runs over, per endpoint: each model
  // against the reference (reference), or every pair of models (all_pairs).
  std::string comparisons = "reference";
  bool permute_labels = false;
  std::vector<std::string> exports{"best"};
  // What `export = best` ranks by: macro_auc (higher is better), brier or ece (lower is better).
  std::string export_metric = "macro_auc";
  // [calibration]: a fraction `holdout` of every training set (0 = none) is held out of the
  // model's training to fit the calibration `method` and the conformal sets at miscoverage `alpha`.
  std::string calibration = "none";
  double calibration_holdout = 0, conformal_alpha = 0.1;
  OptionMap training, head;
  OptionMap citation;                                             // [source]
  std::map<std::string, std::vector<std::string>> encoder_names;  // per modality; more than one = an encoder axis
  // Keyed by modality (every encoder of it) or by "<modality>.<encoder>" (that encoder only).
  std::map<std::string, OptionMap> encoder_options, fusion_options;
  std::map<std::string, OptionMap> image_options;                   // [images.<modality>]
  std::map<std::string, std::vector<std::string>> column_prefixes;  // [columns] <modality> = prefixes
  std::vector<std::filesystem::path> embeddings;                    // extra feature columns joined by case_id
  std::filesystem::path extract;       // extraction settings: the run extracts the features itself
  std::filesystem::path extract_into;  // where (default RUN_DIR/features); share it to share the cache
};

// Throws core::Error listing every problem of the config (one per line); with `problems`, appends
// them there instead and returns what could be read.
ExperimentConfig read_experiment_config(const std::filesystem::path& path,
                                        std::vector<std::string>* problems = nullptr);
// The same from the config's text (as recorded in run.json); relative paths resolve against base_dir.
ExperimentConfig parse_experiment_config(const std::string& text, const std::filesystem::path& source,
                                         const std::filesystem::path& base_dir,
                                         std::vector<std::string>* problems = nullptr);

// "early[clinical+mri]": the model name used in predictions.csv and the reports. `tags` (per
// modality of the subset, or empty) names the encoder of the modalities that have an encoder axis,
// "" for the others: "early[clinical+mri:cnn3d]".
std::string model_name(const std::string& fusion, const std::vector<std::string>& subset,
                       const std::vector<std::string>& tags = {});

// The encoders a modality may use (the default when the config names none: clinical for the
// clinical block, radiomics_mlp otherwise).
std::vector<std::string> encoder_choices(const ExperimentConfig& config, const std::string& modality);
// The options of one encoder of a modality: [encoder.<modality>] overlaid by [encoder.<modality>.<encoder>].
OptionMap encoder_options_for(const ExperimentConfig& config, const std::string& modality, const std::string& encoder);
// Whether some encoder choice of the modality reads feature columns (not only images).
bool needs_feature_columns(const ExperimentConfig& config, const std::string& modality);

}  // namespace vbiopsy::experiments
