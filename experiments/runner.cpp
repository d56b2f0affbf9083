#include "experiments/runner.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <utility>

#include "core/csv.h"
#include "core/process_pool.h"
#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/random.h"
#include "core/strings.h"
#include "encoders/radiomics/cohort_extraction.h"
#include "encoders/radiomics/extraction_inputs.h"
#include "datasets/clinical_summary.h"
#include "datasets/splits.h"
#include "experiments/calibration.h"
#include "experiments/feature_table.h"
#include "experiments/fitted_model.h"
#include "experiments/fold_habitats.h"
#include "experiments/grid.h"
#include "experiments/image_inputs.h"
#include "experiments/config_check.h"
#include "experiments/explanations.h"
#include "experiments/model_card.h"
#include "modalities/cohort_check.h"
#include "modalities/synthetic_cohort.h"
#include "experiments/preprocessing.h"
#include "experiments/report.h"
#include "experiments/run_metrics.h"
#include "experiments/statistics/bootstrap.h"
#include "experiments/statistics/comparisons.h"
#include "experiments/statistics/coverage.h"
#include "experiments/statistics/metrics.h"
#include "experiments/statistics/shapley.h"
#include "fusion/stacking.h"

namespace vbiopsy::experiments {

namespace {

// The `habitats` modality: every case's voxel features and the clustering settings; the habitat
// model itself is fitted per training set (fold_habitats.h).
struct HabitatContext {
  CohortVoxels voxels;
  encoders::radiomics::CohortExtractionSettings settings;
  unsigned threads = 1;
  // Clustering is the slow part: every cell of a fold shares its training set's habitats.
  std::map<std::vector<size_t>, std::pair<FoldHabitats, FeatureBlock>> fitted;
};

bool uses_habitats(const std::vector<std::string>& subset) {
  return std::find(subset.begin(), subset.end(), "habitats") != subset.end();
}

// When the subset uses habitats: the table with habitats clustered on the training rows `train`
// (the fitted habitats returned through `fitted`); otherwise nothing (the table serves as it is).
std::optional<FeatureTable> table_for(const FeatureTable& table, const std::vector<std::string>& subset, const std::vector<size_t>& train,
                                      HabitatContext* habitats, FoldHabitats* fitted = nullptr) {
  if (!uses_habitats(subset)) return std::nullopt;
  auto it = habitats->fitted.find(train);
  if (it == habitats->fitted.end()) {
    FoldHabitats fold;
    fold.fit(habitats->voxels, train, habitats->settings);
    auto block = fold.block(habitats->voxels, habitats->threads);
    it = habitats->fitted.emplace(train, std::make_pair(std::move(fold), std::move(block))).first;
  }
  if (fitted) *fitted = it->second.first;
  return with_block(table, it->second.second);
}

// "late[mg+mri]" -> "late_mg_mri": a file or folder name.
std::string safe_name(const std::string& model) {
  std::string out;
  for (char c : model) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

// Fold per case (-1: always training) and the number of folds, for the configured scheme.
std::pair<std::vector<int>, int> assign_folds(const ExperimentConfig& config, const FeatureTable& table, const std::vector<int>& labels,
                                              int repeat) {
  if (config.validation == "kfold")
    return {datasets::patient_folds(table.patient_ids, labels, config.folds, core::derive_seed(config.seed, {11, static_cast<uint64_t>(repeat)})),
            config.folds};
  if (config.validation == "test_sites") return datasets::test_site_folds(table.sites, config.test_sites);
  return datasets::leave_one_site_out_folds(table.sites);
}

// One fold of one cell: the model fitted on the fold's training cases, its predictions for the
// fold's test cases. A fold's seed depends only on (seed, repeat, fold), so a fold gives the same
// rows whichever process runs it and in whatever order.
std::vector<Row> train_fold(const ExperimentConfig& config, const FeatureTable& full_table, const std::vector<int>& labels,
                            const Cell& cell, const std::vector<int>& fold_of, int repeat, int fold, HabitatContext* habitats,
                            EncoderCache* encoder_cache) {
  std::vector<size_t> train, test;
  for (size_t i = 0; i < full_table.size(); ++i) (fold_of[i] == fold ? test : train).push_back(i);
  const auto fold_table = table_for(full_table, cell.subset, train, habitats);
  const auto& table = fold_table ? *fold_table : full_table;
  const auto model = FittedModel::fit(config, table, labels, cell.fusion, cell.subset, train,
                                      core::derive_seed(config.seed, {13, static_cast<uint64_t>(repeat), static_cast<uint64_t>(fold)}),
                                      cell.encoders, encoder_cache);
  const auto output = model.predict(table, test);
  std::vector<Row> rows;
  for (size_t i = 0; i < test.size(); ++i) {
    Row row{test[i], repeat, fold, {}, {}, {}, {}, {}};
    for (const auto& a : model.atypicality(table, test[i])) row.atypical.push_back(std::isnan(a.distance) ? -1 : a.far());
    for (int k = 0; k < kClasses; ++k) {
      row.p[k] = output.probabilities(static_cast<Eigen::Index>(i), k);
      row.u[k] = output.uncalibrated(static_cast<Eigen::Index>(i), k);
    }
    if (!output.sets.empty()) row.set = output.sets[i];
    for (Eigen::Index m = 0; m < output.weights.cols(); ++m) row.weights.push_back(output.weights(static_cast<Eigen::Index>(i), m));
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

}  // namespace


namespace {

// [cohort] extract: the run extracts the features itself into RUN_DIR/features (cached by content,
// so a rerun or another recipe on the same cohort does not extract twice). Cases that fail
// validation are left out and named in RUN_DIR/features/excluded.csv.
std::filesystem::path extract_features(const ExperimentConfig& config, const std::filesystem::path& run_dir, std::ostream& log) {
  auto settings = encoders::radiomics::read_cohort_extraction_settings(config.extract);
  settings.threads = static_cast<unsigned>(config.threads);
  // The preflight `vbiopsy validate --config` makes: every case loaded and checked against the
  // settings before anything is extracted or trained; cases that fail it are left out and named.
  auto checked = modalities::load_checked_cohort(config.manifest, config.clinical.empty() ? std::nullopt : std::optional(config.clinical),
                                                 true, settings.threads, encoders::radiomics::extraction_loaders(settings));
  const auto out = config.extract_into.empty() ? run_dir / "features" : config.extract_into;
  modalities::write_check_record(checked, out);
  for (const auto& e : checked.excluded) log << "case " << e.case_id << " left out: " << core::join(e.reasons, "; ") << "\n";
  for (const auto& [id, warning] : checked.warnings) log << "warning: case " << id << ": " << warning << "\n";
  core::write_file_atomic(out / encoders::radiomics::kExtractionSettingsFile, core::read_text_file(config.extract));
  const auto result = encoders::radiomics::extract_cohort(checked.cohort, settings, out);
  log << "extracted " << result.cases << " cases (" << result.computed << " blocks computed, " << result.from_cache << " from cache)\n";
  if (!result.failures.empty())
    core::fail("feature extraction failed for ", result.failures.size(), " block(s); the first: ", datasets::to_string(result.failures.front()));
  return out / "features.csv";
}

// [experiment] export: each named model refitted on every training case (all cases; for test_sites
// the other sites' cases) into RUN_DIR/models/<name>/, with what `vbiopsy predict` needs to
// rebuild its inputs for a new case. A bundle of this run's fingerprint is reused on rerun.
void export_models(const ExperimentConfig& config, const FeatureTable& table, const std::vector<int>& labels,
                   const std::vector<Cell>& cells, const std::map<std::string, std::vector<Row>>& results, const std::string& best,
                   const nlohmann::json& metrics,
                   const std::string& fingerprint, HabitatContext* habitats, const std::filesystem::path& run_dir, std::ostream& log) {
  std::vector<const Cell*> chosen;
  for (const auto& name : config.exports) {
    if (name == "none") return;
    for (const auto& cell : cells)
      if (name == "all" || cell.name == name || (name == "best" && cell.name == best)) chosen.push_back(&cell);
    if (name != "all" && name != "best" && std::none_of(cells.begin(), cells.end(), [&](const Cell& c) { return c.name == name; }))
      core::fail("experiment.export names '", name, "', which is not a model of the grid");
  }
  if (chosen.empty()) return;
  if (config.permute_labels) {
    log << "labels permuted (negative control): no model exported\n";
    return;
  }
  std::vector<size_t> train;
  for (size_t i = 0; i < table.size(); ++i)
    if (config.validation != "test_sites" ||
        std::find(config.test_sites.begin(), config.test_sites.end(), table.sites[i]) == config.test_sites.end())
      train.push_back(i);
  const auto settings_file = config.features.parent_path() / encoders::radiomics::kExtractionSettingsFile;
  const nlohmann::json extraction = !config.features.empty() && std::filesystem::exists(settings_file)
                                        ? nlohmann::json(core::read_text_file(settings_file))
                                        : nlohmann::json();
  std::vector<std::string> embedding_names;  // predict needs the new case's rows of these
  for (const auto& file : config.embeddings) embedding_names.push_back(file.filename().string());
  std::set<std::string> done;
  for (const auto* cell : chosen) {
    if (!done.insert(cell->name).second) continue;
    const auto folder = run_dir / "models" / safe_name(cell->name);
    if (std::filesystem::exists(folder / "bundle.json")) {
      const auto stored = nlohmann::json::parse(core::read_text_file(folder / "bundle.json"), nullptr, false);
      if (!stored.is_discarded() && stored.value("run", nlohmann::json::object()).value("fingerprint", "") == fingerprint) continue;
    }
    std::array<size_t, kClasses> counts{};
    for (size_t i : train) ++counts[labels[i]];
    const auto by_modalities = figures_by_modalities(config, *cell, cells, metrics, results.at(cell->name), table, labels);
    FoldHabitats fitted_habitats;
    const auto habitat_table = table_for(table, cell->subset, train, habitats, &fitted_habitats);
    const auto model = FittedModel::fit(config, habitat_table ? *habitat_table : table, labels, cell->fusion, cell->subset, train,
                                        core::derive_seed(config.seed, {23}), cell->encoders);
    nlohmann::json metadata = {{"model", cell->name},
                                     {"fingerprint", fingerprint},
                                     {"config_sha256", core::sha256_hex(config.text)},
                                     {"training_cases", train.size()},
                                     {"training_class_counts", counts},
                                     {"validation", config.validation},
                                     {"cross_validated", metrics.at(cell->name).at("metrics")},
                                     {"cross_validated_by_modalities", by_modalities},
                                     {"column_prefixes", config.column_prefixes},
                                     {"clinical_columns", to_json(table.clinical)},
                                     {"extraction_settings", extraction},
                                     {"embeddings", embedding_names}};
    if (habitat_table) metadata["habitats"] = fitted_habitats.save();
    // The synthetic cohort's writer leaves its ground truth in truth/ beside the manifest.
    const bool synthetic = modalities::is_synthetic_cohort(config.manifest);
    metadata["model_card"] = model_card({config, *cell, table, labels, train, metrics.at(cell->name), by_modalities, synthetic});
    // What the model looks at: mean |Shapley value| over (at most 60 of) its training cases.
    std::vector<size_t> sample;
    for (size_t i = 0; i < train.size(); i += std::max<size_t>(1, train.size() / 60)) sample.push_back(train[i]);
    const auto importances = global_importances(model, habitat_table ? *habitat_table : table, sample, 4, core::derive_seed(config.seed, {29}));
    std::filesystem::create_directories(folder);
    core::write_file_atomic(folder / "importances.csv", importances_csv(importances));
    model.save(folder, metadata);  // bundle.json last: its presence means the export is complete
    log << "exported " << cell->name << " (trained on " << train.size() << " cases) to " << folder.string() << "\n";
  }
}

// Every cell of the grid, cross-validated: one task per (repeat, fold, cell), fold by fold so that
// the cells of a fold share its per-modality encoders, run on `threads` worker processes (each
// single-threaded, so the predictions do not depend on the thread count). A task leaves its rows in
// cells/<cell>/repeat<R>_fold<F>.csv; a cell whose folds are all done is joined into
// cells/<cell>.csv. Finished cells and folds are reused, so an interrupted run resumes.
std::map<std::string, std::vector<Row>> train_grid(const ExperimentConfig& config, const FeatureTable& table, const std::vector<int>& labels,
                                                   const std::vector<Cell>& cells, HabitatContext* habitats,
                                                   const std::filesystem::path& run_dir, RunSummary& summary, std::ostream& log) {
  struct FoldTask {
    size_t cell;
    int repeat, fold;
    std::filesystem::path file;
  };
  const int repeats = config.validation == "kfold" ? config.repeats : 1;  // the other schemes are not random
  std::vector<std::vector<int>> fold_of(static_cast<size_t>(repeats));
  std::vector<int> folds(static_cast<size_t>(repeats));
  for (int r = 0; r < repeats; ++r) std::tie(fold_of[r], folds[r]) = assign_folds(config, table, labels, r);
  auto cell_file = [&](const Cell& cell) { return run_dir / "cells" / (safe_name(cell.name) + ".csv"); };
  std::map<std::string, std::vector<std::filesystem::path>> fold_files;  // of each cell still to join
  std::vector<FoldTask> tasks;
  std::vector<size_t> fold_starts;  // the tasks of one fold share its encoders and habitats
  for (int r = 0; r < repeats; ++r)
    for (int f = 0; f < folds[r]; ++f) {
      if (std::find(fold_of[r].begin(), fold_of[r].end(), f) == fold_of[r].end()) continue;  // no test case
      fold_starts.push_back(tasks.size());
      for (size_t c = 0; c < cells.size(); ++c) {
        if (std::filesystem::exists(cell_file(cells[c]))) continue;
        const auto file = run_dir / "cells" / safe_name(cells[c].name) / ("repeat" + std::to_string(r) + "_fold" + std::to_string(f) + ".csv");
        fold_files[cells[c].name].push_back(file);
        if (!std::filesystem::exists(file)) tasks.push_back({c, r, f, file});
      }
    }

  ExperimentConfig task_config = config;
  task_config.threads = 1;  // the parallelism is the tasks'
  EncoderCache encoders_of_folds;  // per-modality encoders (deep features, two-stage stage 1), shared by a fold's cells
  core::ProcessTasks work;
  work.count = tasks.size();
  work.group_starts = fold_starts;
  work.worker_init = [&] {
    at::set_num_threads(1);
    if (habitats) habitats->threads = 1;
  };
  work.run = [&](size_t t) {
    const auto& task = tasks[t];
    const auto rows = train_fold(task_config, table, labels, cells[task.cell], fold_of[task.repeat], task.repeat, task.fold, habitats,
                                 &encoders_of_folds);
    core::write_file_atomic(task.file, cell_text(rows));
  };
  size_t finished = 0;
  work.done = [&](size_t t) {
    const auto& task = tasks[t];
    log << "[" << ++finished << "/" << tasks.size() << "] " << cells[task.cell].name << ", repeat " << task.repeat << " fold " << task.fold
        << "\n" << std::flush;
  };
  core::run_in_processes(work, static_cast<unsigned>(config.threads));

  std::map<std::string, std::vector<Row>> results;
  for (const auto& cell : cells) {
    ++summary.cells;
    const auto path = cell_file(cell);
    if (std::filesystem::exists(path)) {
      results[cell.name] = parse_cell(path);
      ++summary.cells_reused;
      continue;
    }
    std::vector<Row> rows;
    for (const auto& file : fold_files[cell.name]) {
      const auto part = parse_cell(file);
      rows.insert(rows.end(), part.begin(), part.end());
    }
    std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) { return std::tie(x.repeat, x.case_index) < std::tie(y.repeat, y.case_index); });
    core::write_file_atomic(path, cell_text(rows));
    std::filesystem::remove_all(run_dir / "cells" / safe_name(cell.name));
    results[cell.name] = std::move(rows);
  }
  return results;
}

}  // namespace

RunSummary run_experiment(const ExperimentConfig& given, const std::filesystem::path& run_dir, std::ostream& log) {
  const auto started = std::chrono::steady_clock::now();
  // Every problem of the config before the run folder exists or anything trains.
  if (const auto problems = check_experiment(given); !problems.empty())
    core::fail(given.source.string(), ": ", problems.size(), " problem(s):\n  ", core::join(problems, "\n  "));
  const core::FolderLock lock(run_dir, "vbiopsy run");
  core::remove_stale_temporaries(run_dir);
  ExperimentConfig config = given;
  if (!config.extract.empty()) config.features = extract_features(config, run_dir, log);
  const auto reading = datasets::read_cohort(config.manifest, config.clinical.empty() ? std::nullopt : std::optional(config.clinical));
  if (!reading.problems.empty())
    core::fail("the cohort has ", reading.problems.size(), " problem(s); the first: ", datasets::to_string(reading.problems.front()),
               " (run vbiopsy validate)");
  for (const auto& warning : datasets::clinical_unit_warnings(reading.cohort)) log << "warning: " << warning << "\n";
  // Without features (image encoders and clinical variables only) the table starts from the cohort.
  auto features = config.features.empty() ? case_id_table(reading.cohort) : core::read_csv(config.features);
  std::string inputs_text = core::read_text_file(config.manifest) + (config.features.empty() ? "" : core::read_text_file(config.features));
  for (const auto& file : config.embeddings) {
    features = join_by_case_id(features, core::read_csv(file));
    inputs_text += core::read_text_file(file);
  }
  std::set<std::string> image_only;
  for (const auto& m : config.modalities)
    if (m != "clinical" && !needs_feature_columns(config, m)) image_only.insert(m);
  auto table = build_feature_table(reading.cohort, features, config.modalities, config.column_prefixes, true, image_only);
  // The crops of every image encoder, made once per run (normalised per case: no fitting).
  std::vector<std::pair<std::string, std::string>> crop_failures;
  for (const auto& m : config.modalities)
    for (const auto& e : encoder_choices(config, m)) {
      if (!is_image_encoder(e)) continue;
      const auto spec = ImageInputSpec::from(m, e, config.image_options.count(m) ? config.image_options.at(m) : OptionMap{});
      const auto crop_started = std::chrono::steady_clock::now();
      const size_t failed_before = crop_failures.size();
      auto block = image_block_of(reading.cohort, table.case_ids, spec, static_cast<unsigned>(config.threads), &crop_failures);
      log << "crops for " << m << " (" << e << "): " << std::count(block.present.begin(), block.present.end(), true) << " cases, shape "
          << shape_text(block.sample_shape) << ", "
          << std::chrono::duration<double>(std::chrono::steady_clock::now() - crop_started).count() << " s\n";
      for (size_t f = failed_before; f < crop_failures.size(); ++f)
        log << "case " << crop_failures[f].first << " left without " << m << ": " << crop_failures[f].second << "\n";
      add_image_block(table, std::move(block));
    }
  std::optional<HabitatContext> habitats;
  if (uses_habitats(config.modalities)) {
    const auto ini = config.extract.empty() ? config.features.parent_path() / encoders::radiomics::kExtractionSettingsFile : config.extract;
    if (!std::filesystem::exists(ini))
      core::fail("modality 'habitats' clusters with the extraction settings' [habitats] section; give [cohort] extract, or keep ",
                 encoders::radiomics::kExtractionSettingsFile, " beside ", config.features.string());
    habitats.emplace();
    habitats->settings = encoders::radiomics::read_cohort_extraction_settings(ini);
    inputs_text += "\nhabitat settings:" + core::read_text_file(ini);
    habitats->threads = habitats->settings.threads = static_cast<unsigned>(config.threads);
    std::vector<std::pair<std::string, std::string>> failures;
    habitats->voxels = habitat_voxels_of(reading.cohort, table.case_ids, habitats->settings, static_cast<unsigned>(config.threads), &failures);
    for (const auto& [id, reason] : failures) log << "habitats: case " << id << " left without: " << reason << "\n";
    auto block = table.block("habitats");
    for (size_t i = 0; i < table.size(); ++i) block.present[i] = habitats->voxels[i].has_value();
    table = with_block(table, block);
  }
  auto labels = table.labels;
  if (config.permute_labels) {  // the negative control: any signal left is leakage
    core::Rng rng(core::derive_seed(config.seed, {19}));
    for (size_t i = labels.size(); i > 1; --i) std::swap(labels[i - 1], labels[rng.below(i)]);
  }
  // Everything else that can change a result (the habitat settings are added above): the clinical
  // table (given or found beside the manifest), the negative control (a command-line flag as well as
  // a config key), and the content of every crop the image encoders read (the images themselves).
  if (reading.cohort.clinical) inputs_text += "\nclinical:" + core::read_text_file(*reading.cohort.clinical);
  inputs_text += core::concat("\npermute_labels=", config.permute_labels);
  for (const auto& block : table.images) {
    core::Sha256 crops;
    crops.add(std::string_view(reinterpret_cast<const char*>(block->values.data()), block->values.size() * sizeof(float)));
    inputs_text += "\ncrops " + block->spec.modality + "/" + block->spec.encoder + ":" + crops.hex();
  }
  std::filesystem::create_directories(run_dir / "cells");
  // A run directory belongs to one config and one set of inputs: finished cells are reused only then.
  const std::string fingerprint = core::sha256_hex(std::string(VBIOPSY_VERSION) + config.text + inputs_text);
  const auto fingerprint_file = run_dir / "cells" / "fingerprint";
  if (std::filesystem::exists(fingerprint_file) && core::trim(core::read_text_file(fingerprint_file)) != fingerprint)
    core::fail(run_dir.string(), " holds a run of another config or other inputs; use a new run directory");
  core::write_file_atomic(fingerprint_file, fingerprint + "\n");

  if (config.harmonisation == "combat" && config.validation != "kfold")
    log << "note: ComBat is fitted on the training sites; the held-out site's cases have no estimate and stay uncorrected\n";
  const auto cells = grid_cells(config);
  RunSummary summary;
  summary.cases = table.size();
  auto results = train_grid(config, table, labels, cells, habitats ? &*habitats : nullptr, run_dir, summary, log);

  // predictions.csv
  // With a calibration split: the model's own probabilities too, and the conformal set per case.
  const bool calibrated = config.calibration_holdout > 0;
  std::string predictions = "case_id,site,repeat,fold,model,true_class,p_zero,p_low,p_positive,pred_class";
  predictions += calibrated ? ",uncalibrated_zero,uncalibrated_low,uncalibrated_positive,prediction_set\n" : "\n";
  for (const auto& cell : cells)
    for (const auto& r : results[cell.name]) {
      std::vector<std::string> fields = {table.case_ids[r.case_index], table.sites[r.case_index], std::to_string(r.repeat), std::to_string(r.fold),
                                         cell.name, kClassNames[labels[r.case_index]], core::format_double(r.p[0]), core::format_double(r.p[1]),
                                         core::format_double(r.p[2]), kClassNames[predicted_class(r.p)]};
      if (calibrated)
        for (const auto& field : {core::format_double(r.u[0]), core::format_double(r.u[1]), core::format_double(r.u[2]), set_text(r.set.value_or(0))})
          fields.push_back(field);
      predictions += core::csv_line(fields);
    }
  core::write_file_atomic(run_dir / "predictions.csv", predictions);

  // attention.csv: the per-case modality weights of the models that have them (attention shares of
  // the class token, gates, learned late weights); absent modalities weigh 0.
  std::string attention = "case_id,repeat,model,modality,weight\n";
  for (const auto& cell : cells)
    for (const auto& r : results[cell.name])
      for (size_t m = 0; m < r.weights.size(); ++m)
        attention += core::csv_line({table.case_ids[r.case_index], std::to_string(r.repeat), cell.name, cell.subset[m], core::format_double(r.weights[m])});
  core::write_file_atomic(run_dir / "attention.csv", attention);

  // metrics.json
  std::map<std::string, Predictions> pooled_by_model;
  std::map<std::string, double> macro_auc_of;  // point estimates, for the reference, the summary and Shapley
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& cell : cells) {
    const auto p = pooled(results[cell.name], labels);
    pooled_by_model[cell.name] = p;
    nlohmann::json m = nlohmann::json::object();
    for (const auto& [name, interval] : bootstrap_metrics(p, config.bootstrap, config.seed, static_cast<unsigned>(config.threads))) {
      m[name] = {{"estimate", number(interval.estimate)}, {"lower", number(interval.lower)}, {"upper", number(interval.upper)}};
      if (name == "macro_auc") macro_auc_of[cell.name] = interval.estimate;
    }
    const auto cm = confusion_matrix(p);
    nlohmann::json reliability = nlohmann::json::array();
    for (const auto& bin : reliability_curve(p))
      reliability.push_back({{"lower", bin.lower}, {"upper", bin.upper}, {"count", bin.count},
                             {"confidence", number(bin.mean_confidence)}, {"accuracy", number(bin.accuracy)}});
    nlohmann::json decision = nlohmann::json::object();
    std::vector<double> thresholds;
    for (int t = 1; t < 20; ++t) thresholds.push_back(t * 0.05);
    for (const auto& e : endpoints(p)) {
      if (e.name != "positive_vs_rest" && e.name != "zero_vs_atleastlow") continue;
      nlohmann::json points = nlohmann::json::array();
      for (const auto& point : decision_curve(e.scores, e.outcome, thresholds))
        points.push_back({{"threshold", point.threshold}, {"model", point.model}, {"treat_all", point.treat_all}});
      decision[e.name] = points;
    }
    metrics[cell.name] = {{"metrics", m}, {"confusion_matrix", cm}, {"reliability", reliability}, {"decision_curves", decision}};
    if (calibrated) add_uncertainty_metrics(config, results[cell.name], labels, metrics[cell.name]);
    add_atypical_shares(cell, results[cell.name], metrics[cell.name]);
    // Mean modality weight over the cases that have the modality; late fusion's `combine = mean`
    // weighs the present modalities equally, which is no finding.
    const auto late = config.fusion_options.find("late");
    const bool equal_weights = cell.fusion == "late" && (late == config.fusion_options.end() || !late->second.count("combine") ||
                                                         late->second.at("combine") == "mean");
    for (size_t j = 0; j < cell.subset.size() && !equal_weights; ++j) {
      double sum = 0;
      size_t count = 0;
      for (const auto& r : results[cell.name])
        if (j < r.weights.size() && table.block(cell.subset[j]).present[r.case_index]) {
          sum += r.weights[j];
          ++count;
        }
      if (count > 0) metrics[cell.name]["mean_modality_weight"][cell.subset[j]] = sum / static_cast<double>(count);
    }
    const double macro_auc = macro_auc_of[cell.name];
    if (std::isfinite(macro_auc) && (summary.best_model.empty() || macro_auc > summary.best_macro_auc)) {
      summary.best_model = cell.name;
      summary.best_macro_auc = macro_auc;
    }
  }

  // Reference: named, or the best single-modality model by macro-AUC (the best of the smallest
  // subsets when the grid has no single modality).
  std::string reference = config.reference;
  if (reference.empty()) {
    double best = -1;
    size_t smallest = config.modalities.size();
    for (const auto& cell : cells) smallest = std::min(smallest, cell.subset.size());
    for (const auto& cell : cells)
      if (cell.subset.size() == smallest) {
        const double auc = macro_auc_of[cell.name];
        if (auc > best) {
          best = auc;
          reference = cell.name;
        }
      }
  }
  if (!pooled_by_model.count(reference)) core::fail("reference model '", reference, "' is not in the grid");
  // NRI and IDI of every model against the reference, per endpoint.
  const auto reference_endpoints = endpoints(pooled_by_model[reference]);
  for (const auto& cell : cells) {
    if (cell.name == reference) continue;
    const auto model_endpoints = endpoints(pooled_by_model[cell.name]);
    for (size_t e = 0; e < kClasses; ++e) {
      const auto r = reclassification(reference_endpoints[e].scores, model_endpoints[e].scores, model_endpoints[e].outcome);
      metrics[cell.name]["reclassification_vs_reference"][model_endpoints[e].name] = {{"nri", r.nri}, {"idi", r.idi}};
    }
  }
  const auto comparisons_csv = comparisons_table(cells, pooled_by_model, reference, config.comparisons);
  core::write_file_atomic(run_dir / "comparisons.csv", comparisons_csv);
  metrics["_reference"] = reference;
  core::write_file_atomic(run_dir / "metrics.json", metrics.dump(1) + "\n");

  // shapley.csv: for each fusion method (and, with an encoder axis, each choice of encoders:
  // "early[mri:cnn3d]") whose grid holds every subset of the modalities.
  std::string shapley = "fusion,modality,shapley_macro_auc\n";
  for (const auto& f : config.fusions) {
    std::vector<std::vector<std::string>> lists;
    for (const auto& m : config.modalities) lists.push_back(choices_for(config, f, m));
    for (const auto& assignment : combinations(lists)) {
      std::map<unsigned, double> value;
      for (const auto& cell : cells) {
        if (cell.fusion != f) continue;
        unsigned mask = 0;
        bool agrees = true;
        for (size_t j = 0; j < cell.subset.size(); ++j) {
          const auto at = static_cast<size_t>(std::find(config.modalities.begin(), config.modalities.end(), cell.subset[j]) - config.modalities.begin());
          mask |= 1u << at;
          agrees = agrees && assignment[at] == cell.encoders[j];
        }
        if (agrees) value[mask] = macro_auc_of[cell.name];
      }
      if (value.size() != (1u << config.modalities.size()) - 1) continue;
      std::vector<std::string> tags;
      for (size_t i = 0; i < config.modalities.size(); ++i)
        if (lists[i].size() > 1) tags.push_back(config.modalities[i] + ":" + assignment[i]);
      const auto label = tags.empty() ? f : f + "[" + core::join(tags, ",") + "]";
      const auto phi = shapley_values(static_cast<int>(config.modalities.size()), value);
      for (size_t i = 0; i < phi.size(); ++i) shapley += core::csv_line({label, config.modalities[i], core::format_double(phi[i])});
    }
  }
  core::write_file_atomic(run_dir / "shapley.csv", shapley);
  export_models(config, table, labels, cells, results, best_for_export(config, cells, metrics, summary.best_model), metrics, fingerprint,
                habitats ? &*habitats : nullptr, run_dir, log);

  // run.json: provenance.
  nlohmann::json embeddings = nlohmann::json::array();
  for (const auto& file : config.embeddings)
    embeddings.push_back({{"path", std::filesystem::absolute(file).string()}, {"sha256", core::sha256_hex(core::read_text_file(file))}});
  // The same inputs as paths from the run folder, so a run moved together with its data reproduces.
  const auto run_root = std::filesystem::absolute(run_dir);
  auto from_run = [&](const std::filesystem::path& file) {
    return file.empty() ? std::string() : std::filesystem::absolute(file).lexically_relative(run_root).generic_string();
  };
  nlohmann::json relative_to_run = {{"config_dir", from_run(std::filesystem::absolute(config.source).parent_path())},
                                    {"manifest", from_run(config.manifest)},
                                    {"features", from_run(config.features)},
                                    {"clinical", from_run(reading.cohort.clinical ? *reading.cohort.clinical : std::filesystem::path())},
                                    {"embeddings", nlohmann::json::array()}};
  for (const auto& file : config.embeddings) relative_to_run["embeddings"].push_back(from_run(file));
  nlohmann::json excluded = nlohmann::json::array(), without_modality = nlohmann::json::array();
  for (const auto& [id, reason] : table.excluded) excluded.push_back({{"case_id", id}, {"reason", reason}});
  for (const auto& [id, reason] : crop_failures) without_modality.push_back({{"case_id", id}, {"reason", reason}});
  const nlohmann::json run = {
      {"vbiopsy_version", VBIOPSY_VERSION},
      {"libtorch_version", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH)},
      {"config_file", config.source.string()},
      {"config_text", config.text},
      {"config_sha256", core::sha256_hex(config.text)},
      {"config_dir", std::filesystem::absolute(config.source).parent_path().string()},
      {"manifest", std::filesystem::absolute(config.manifest).string()},
      {"features", config.features.empty() ? std::string() : std::filesystem::absolute(config.features).string()},
      {"clinical", reading.cohort.clinical ? std::filesystem::absolute(*reading.cohort.clinical).string() : std::string()},
      {"manifest_sha256", core::sha256_hex(core::read_text_file(config.manifest))},
      {"features_sha256", config.features.empty() ? std::string() : core::sha256_hex(core::read_text_file(config.features))},
      {"clinical_sha256", reading.cohort.clinical ? core::sha256_hex(core::read_text_file(*reading.cohort.clinical)) : std::string()},
      {"fingerprint", fingerprint},
      {"embeddings", embeddings},
      {"relative_to_run", relative_to_run},
      {"seed", config.seed},
      {"threads", config.threads},
      {"permute_labels", config.permute_labels},
      {"synthetic", modalities::is_synthetic_cohort(config.manifest)},
      {"source", config.citation},
      {"cases", table.size()},
      {"excluded", excluded},
      {"cases_without_crops", without_modality},
      {"reference_model", reference},
      {"cells", summary.cells},
      {"cells_reused", summary.cells_reused},
      {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
  core::write_file_atomic(run_dir / "run.json", run.dump(1) + "\n");
  write_report(run_dir);
  return summary;
}

}  // namespace vbiopsy::experiments
