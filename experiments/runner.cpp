#include "experiments/runner.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <utility>

#include "cluster/balance.h"
#include "cluster/job.h"
#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/process_pool.h"
#include "core/random.h"
#include "core/strings.h"
#include "datasets/splits.h"
#include "experiments/config_check.h"
#include "experiments/explanations.h"
#include "experiments/feature_table.h"
#include "experiments/fitted_model.h"
#include "experiments/fold_habitats.h"
#include "experiments/grid.h"
#include "experiments/model_card.h"
#include "experiments/preprocessing.h"
#include "experiments/report.h"
#include "experiments/run_inputs.h"
#include "experiments/run_metrics.h"
#include "experiments/run_outputs.h"
#include "experiments/statistics/metrics.h"
#include "extraction/cohort_extraction.h"
#include "extraction/inputs.h"
#include "fusion/stacking.h"
#include "modalities/cohort_check.h"
#include "modalities/synthetic_cohort.h"

namespace vbiopsy::experiments {

namespace {

// When the subset uses habitats: the table with habitats clustered on the training rows `train`
// (the fitted habitats returned through `fitted`); otherwise nothing (the table serves as it is).
std::optional<FeatureTable> table_for(const FeatureTable& table, const std::vector<std::string>& subset,
                                      const std::vector<size_t>& train, HabitatContext* habitats,
                                      FoldHabitats* fitted = nullptr) {
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
std::pair<std::vector<int>, int> assign_folds(const ExperimentConfig& config, const FeatureTable& table,
                                              const std::vector<int>& labels, int repeat) {
  if (config.validation == "kfold")
    return {datasets::patient_folds(table.patient_ids, labels, config.folds,
                                    core::derive_seed(config.seed, {11, static_cast<uint64_t>(repeat)})),
            config.folds};
  if (config.validation == "test_sites") return datasets::test_site_folds(table.sites, config.test_sites);
  return datasets::leave_one_site_out_folds(table.sites);
}

// One fold of one cell: the model fitted on the fold's training cases, its predictions for the
// fold's test cases. A fold's seed depends only on (seed, repeat, fold), so a fold gives the same
// rows whichever process runs it and in whatever order.
std::vector<Row> train_fold(const ExperimentConfig& config, const FeatureTable& full_table,
                            const std::vector<int>& labels, const Cell& cell, const std::vector<int>& fold_of,
                            int repeat, int fold, HabitatContext* habitats, EncoderCache* encoder_cache) {
  std::vector<size_t> train, test;
  for (size_t i = 0; i < full_table.size(); ++i) (fold_of[i] == fold ? test : train).push_back(i);
  const auto fold_table = table_for(full_table, cell.subset, train, habitats);
  const auto& table = fold_table ? *fold_table : full_table;
  const auto model =
      FittedModel::fit(config, table, labels, cell.fusion, cell.subset, train,
                       core::derive_seed(config.seed, {13, static_cast<uint64_t>(repeat), static_cast<uint64_t>(fold)}),
                       cell.encoders, encoder_cache);
  const auto output = model.predict(table, test);
  std::vector<Row> rows;
  for (size_t i = 0; i < test.size(); ++i) {
    Row row{test[i], repeat, fold, {}, {}, {}, {}, {}};
    for (const auto& a : model.atypicality(table, test[i]))
      row.atypical.push_back(std::isnan(a.distance) ? -1 : a.far());
    for (int k = 0; k < kClasses; ++k) {
      row.p[k] = output.probabilities(static_cast<Eigen::Index>(i), k);
      row.u[k] = output.uncalibrated(static_cast<Eigen::Index>(i), k);
    }
    if (!output.sets.empty()) row.set = output.sets[i];
    for (Eigen::Index m = 0; m < output.weights.cols(); ++m)
      row.weights.push_back(output.weights(static_cast<Eigen::Index>(i), m));
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

namespace {

// [cohort] extract: the run extracts the features itself into RUN_DIR/features (cached by content,
// so a rerun or another recipe on the same cohort does not extract twice). Cases that fail
// validation are left out and named in RUN_DIR/features/excluded.csv.
std::filesystem::path extract_features(const ExperimentConfig& config, const std::filesystem::path& run_dir,
                                       std::ostream& log) {
  auto settings = extraction::read_cohort_extraction_settings(config.extract);
  settings.threads = static_cast<unsigned>(config.threads);
  // The preflight `vbiopsy validate --config` makes: every case loaded and checked against the
  // settings before anything is extracted or trained; cases that fail it are left out and named.
  auto checked = modalities::load_checked_cohort(
      config.manifest, config.clinical.empty() ? std::nullopt : std::optional(config.clinical), true, settings.threads,
      extraction::extraction_loaders(settings));
  const auto out = config.extract_into.empty() ? run_dir / "features" : config.extract_into;
  if (cluster::job().rank() == 0) modalities::write_check_record(checked, out);
  for (const auto& e : checked.excluded)
    log << "case " << e.case_id << " left out: " << core::join(e.reasons, "; ") << "\n";
  for (const auto& [id, warning] : checked.warnings) log << "warning: case " << id << ": " << warning << "\n";
  if (cluster::job().rank() == 0)
    core::write_file_atomic(out / extraction::kExtractionSettingsFile, core::read_text_file(config.extract));
  const auto result = extraction::extract_cohort(checked.cohort, settings, out);
  log << "extracted " << result.cases << " cases (" << result.computed << " blocks computed, " << result.from_cache
      << " from cache)\n";
  if (!result.failures.empty())
    core::fail("feature extraction failed for ", result.failures.size(),
               " block(s); the first: ", datasets::to_string(result.failures.front()));
  return out / "features.csv";
}

// [experiment] export: each named model refitted on every training case (all cases; for test_sites
// the other sites' cases) into RUN_DIR/models/<name>/, with what `vbiopsy predict` needs to
// rebuild its inputs for a new case. A bundle of this run's fingerprint is reused on rerun.
void export_models(const ExperimentConfig& config, const FeatureTable& table, const std::vector<int>& labels,
                   const std::vector<Cell>& cells, const std::map<std::string, std::vector<Row>>& results,
                   const std::string& best, const nlohmann::json& metrics, const std::string& fingerprint,
                   HabitatContext* habitats, const std::filesystem::path& run_dir, std::ostream& log) {
  std::vector<const Cell*> chosen;
  for (const auto& name : config.exports) {
    if (name == "none") return;
    for (const auto& cell : cells)
      if (name == "all" || cell.name == name || (name == "best" && cell.name == best)) chosen.push_back(&cell);
    if (name != "all" && name != "best" &&
        std::none_of(cells.begin(), cells.end(), [&](const Cell& c) { return c.name == name; }))
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
  const auto settings_file = config.features.parent_path() / extraction::kExtractionSettingsFile;
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
      if (!stored.is_discarded() &&
          stored.value("run", nlohmann::json::object()).value("fingerprint", "") == fingerprint)
        continue;
    }
    std::array<size_t, kClasses> counts{};
    for (size_t i : train) ++counts[labels[i]];
    const auto by_modalities =
        figures_by_modalities(config, *cell, cells, metrics, results.at(cell->name), table, labels);
    FoldHabitats fitted_habitats;
    const auto habitat_table = table_for(table, cell->subset, train, habitats, &fitted_habitats);
    const auto model = FittedModel::fit(config, habitat_table ? *habitat_table : table, labels, cell->fusion,
                                        cell->subset, train, core::derive_seed(config.seed, {23}), cell->encoders);
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
    metadata["model_card"] =
        model_card({config, *cell, table, labels, train, metrics.at(cell->name), by_modalities, synthetic});
    // What the model looks at: mean |Shapley value| over (at most 60 of) its training cases.
    std::vector<size_t> sample;
    for (size_t i = 0; i < train.size(); i += std::max<size_t>(1, train.size() / 60)) sample.push_back(train[i]);
    const auto importances = global_importances(model, habitat_table ? *habitat_table : table, sample, 4,
                                                core::derive_seed(config.seed, {29}));
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
std::map<std::string, std::vector<Row>> train_grid(const ExperimentConfig& config, const FeatureTable& table,
                                                   const std::vector<int>& labels, const std::vector<Cell>& cells,
                                                   HabitatContext* habitats, const std::filesystem::path& run_dir,
                                                   RunSummary& summary, std::ostream& log) {
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
        const auto file = run_dir / "cells" / safe_name(cells[c].name) /
                          ("repeat" + std::to_string(r) + "_fold" + std::to_string(f) + ".csv");
        fold_files[cells[c].name].push_back(file);
        if (!std::filesystem::exists(file)) tasks.push_back({c, r, f, file});
      }
    }

  // In an MPI job every rank planned from the same files before any rank writes one. Each then runs
  // whole folds (a fold's cells share its encoders), shared by their number of tasks; with
  // [training] distributed = gloo every rank instead runs every task, in this process and in the
  // same order, training each network together with the others (fusion/data_parallel.h).
  auto& job = cluster::job();
  job.barrier();
  const bool data_parallel = config.training.count("distributed") && config.training.at("distributed") == "gloo";
  std::vector<size_t> mine, my_fold_starts;
  {
    std::vector<double> fold_tasks;
    for (size_t g = 0; g < fold_starts.size(); ++g)
      fold_tasks.push_back(double((g + 1 < fold_starts.size() ? fold_starts[g + 1] : tasks.size()) - fold_starts[g]));
    const auto my_folds = data_parallel ? cluster::balance(fold_tasks, 1)[0] : cluster::share_of_this_rank(fold_tasks);
    for (const size_t g : my_folds) {
      my_fold_starts.push_back(mine.size());
      for (size_t t = fold_starts[g]; t < fold_starts[g] + size_t(fold_tasks[g]); ++t) mine.push_back(t);
    }
  }
  const bool writes = !data_parallel || job.rank() == 0;

  ExperimentConfig task_config = config;
  task_config.threads = 1;         // the parallelism is the tasks'
  EncoderCache encoders_of_folds;  // per-modality encoders (deep features, two-stage stage 1), shared by a fold's cells
  core::ProcessTasks work;
  work.count = mine.size();
  work.group_starts = my_fold_starts;
  work.worker_init = [&] {
    at::set_num_threads(1);
    if (habitats) habitats->threads = 1;
  };
  work.run = [&](size_t t) {
    const auto& task = tasks[mine[t]];
    const auto rows = train_fold(task_config, table, labels, cells[task.cell], fold_of[task.repeat], task.repeat,
                                 task.fold, habitats, &encoders_of_folds);
    if (writes) core::write_file_atomic(task.file, cell_text(rows));
  };
  size_t finished = 0;
  work.done = [&](size_t t) {
    const auto& task = tasks[mine[t]];
    log << "[" << ++finished << "/" << mine.size() << "] " << cells[task.cell].name << ", repeat " << task.repeat
        << " fold " << task.fold << "\n"
        << std::flush;
  };
  core::run_in_processes(work, data_parallel ? 1u : static_cast<unsigned>(config.threads));
  job.barrier();  // every rank's folds are on disk
  if (job.rank() != 0) return {};

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
    std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
      return std::tie(x.repeat, x.case_index) < std::tie(y.repeat, y.case_index);
    });
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
  // In an MPI job (cluster/job.h) every rank loads the inputs and trains its share of the folds;
  // rank 0 holds the folder's lock for the job and writes every output.
  auto& job = cluster::job();
  const auto lock = cluster::lock_folder_for_job(run_dir, "vbiopsy run");
  ExperimentConfig config = given;
  if (!config.extract.empty()) config.features = extract_features(config, run_dir, log);

  // Load: the cohort, the table, crops, habitats and labels.
  auto inputs = load_run_inputs(config, log);
  const auto& table = inputs.table;
  auto* habitats = inputs.habitats ? &*inputs.habitats : nullptr;

  // Plan: a run directory belongs to one config and one set of inputs; finished cells are reused
  // only then.
  std::filesystem::create_directories(run_dir / "cells");
  const std::string fingerprint = core::sha256_hex(std::string(VBIOPSY_VERSION) + config.text + inputs.text);
  const auto fingerprint_file = run_dir / "cells" / "fingerprint";
  if (std::filesystem::exists(fingerprint_file) && core::trim(core::read_text_file(fingerprint_file)) != fingerprint)
    core::fail(run_dir.string(), " holds a run of another config or other inputs; use a new run directory");
  job.barrier();  // every rank has compared the fingerprint before rank 0 writes it
  if (job.rank() == 0) core::write_file_atomic(fingerprint_file, fingerprint + "\n");
  if (config.harmonisation == "combat" && config.validation != "kfold")
    log << "note: ComBat is fitted on the training sites; the held-out site's cases have no estimate and stay "
           "uncorrected\n";
  const auto cells = grid_cells(config);

  // Train the grid.
  RunSummary summary;
  summary.cases = table.size();
  const auto results = train_grid(config, table, inputs.labels, cells, habitats, run_dir, summary, log);
  if (job.rank() != 0) return summary;

  // Outputs.
  write_predictions_csv(run_dir / "predictions.csv", config, table, inputs.labels, cells, results);
  write_attention_csv(run_dir / "attention.csv", table, cells, results);
  const auto metrics = grid_metrics(config, table, inputs.labels, cells, results);
  summary.best_model = metrics.best_model;
  summary.best_macro_auc = metrics.best_macro_auc;
  core::write_file_atomic(run_dir / "comparisons.csv",
                          comparisons_table(cells, metrics.pooled, metrics.reference, config.comparisons));
  core::write_file_atomic(run_dir / "metrics.json", metrics.json.dump(1) + "\n");
  core::write_file_atomic(run_dir / "shapley.csv", shapley_csv(config, cells, metrics.macro_auc));
  // The exported models are trained by rank 0 alone (the other ranks have finished).
  ExperimentConfig export_config = config;
  if (export_config.training.count("distributed")) export_config.training["distributed"] = "none";
  export_models(export_config, table, inputs.labels, cells, results,
                best_for_export(config, cells, metrics.json, summary.best_model), metrics.json, fingerprint, habitats,
                run_dir, log);
  const RunFacts facts{fingerprint, metrics.reference, summary.cells, summary.cells_reused,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()};
  core::write_file_atomic(run_dir / "run.json", run_record(config, inputs, facts, run_dir).dump(1) + "\n");
  write_report(run_dir);
  return summary;
}

}  // namespace vbiopsy::experiments
