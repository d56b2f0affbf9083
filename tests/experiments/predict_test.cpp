#include "experiments/predict.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/random.h"
#include "datasets/case_folder.h"
#include "datasets/manifest.h"
#include "experiments/bundle_file.h"
#include "experiments/config.h"
#include "experiments/fitted_model.h"
#include "experiments/fold_habitats.h"
#include "experiments/runner.h"
#include "modalities/synthetic_cohort.h"
#include "core/hash.h"
#include "modalities/dicom/dicom_file.h"
#include "small_cohort.h"
#include "../test_support.h"

namespace vbiopsy::experiments {
namespace {

FeatureTable table_of(const ExperimentConfig& config) {
  const auto reading = datasets::read_cohort(config.manifest);
  return build_feature_table(reading.cohort, core::read_csv(config.features), config.modalities,
                             config.column_prefixes);
}

// A network, a stacked late model and a classical learner, exported and loaded back, predict
// exactly what the same fit in this process predicts.
TEST(Bundles, ReloadedModelsPredictExactlyAsTheyWereFitted) {
  const SmallCohort cohort("bundles", 90, 31);
  const auto config =
      read_experiment_config(cohort.config("subsets = mri+mg+us+clinical\nfusion = attention,late,logistic\nexport = "
                                           "all\n[fusion.late]\ncombine = stacking\n"
                                           "stacking_learner = logistic\n[fusion.logistic]\nlambda = 0.01"));
  std::ostringstream log;
  run_experiment(config, cohort.dir / "run", log);
  const auto table = table_of(config);
  std::vector<size_t> all(table.size());
  std::iota(all.begin(), all.end(), 0);
  for (const std::string fusion : {"attention", "late", "logistic"}) {
    const auto folder = cohort.dir / "run" / "models" / (fusion + "_clinical_mg_mri_us");
    ASSERT_TRUE(fs::exists(folder / "bundle.json")) << log.str();
    nlohmann::json run;
    auto loaded = FittedModel::load(folder, &run);
    EXPECT_EQ(run.at("model"), fusion + "[clinical+mg+mri+us]");
    EXPECT_EQ(run.at("training_cases"), table.size());
    loaded.bind(table);
    const auto fitted = FittedModel::fit(config, table, table.labels, fusion, {"mri", "mg", "us", "clinical"}, all,
                                         core::derive_seed(config.seed, {23}));
    const auto a = loaded.predict(table, all), b = fitted.predict(table, all);
    ASSERT_EQ(a.probabilities.rows(), static_cast<Eigen::Index>(table.size()));
    EXPECT_EQ((a.probabilities - b.probabilities).cwiseAbs().maxCoeff(), 0.0) << fusion;
    EXPECT_EQ(a.weights.cols(), fusion == "attention" ? 4 : 0);
    // The exported model learned the signal: training accuracy well above chance.
    int correct = 0;
    for (size_t i = 0; i < table.size(); ++i) {
      Eigen::Index k;
      a.probabilities.row(static_cast<Eigen::Index>(i)).maxCoeff(&k);
      correct += k == table.labels[i];
    }
    EXPECT_GT(correct, 50) << fusion;
  }
}

// Writes an edited bundle.json with its content hash recomputed, as anyone editing a bundle can.
void write_resigned(const fs::path& folder, nlohmann::json edited) {
  edited["integrity"]["bundle_sha256"] = bundle_content_sha256(edited);
  core::write_file_atomic(folder / "bundle.json", edited.dump());
}

// A preprocessing state edited consistently to select one column fewer.
void drop_first_column(nlohmann::json& state) {
  for (const char* key : {"columns", "median", "mean", "scale", "training_low", "training_high"}) state[key].erase(0);
  state["out_of_distribution"] = nullptr;
}

TEST(Bundles, AreRefusedWhenTamperedOrIncomplete) {
  const SmallCohort cohort("tampered", 60, 32);
  const auto config = read_experiment_config(cohort.config("subsets = mri+clinical\nfusion = early\nexport = best"));
  std::ostringstream log;
  run_experiment(config, cohort.dir / "run", log);
  const auto folder = cohort.dir / "run" / "models" / "early_clinical_mri";
  const auto original = core::read_text_file(folder / "bundle.json");
  auto bundle = nlohmann::json::parse(original);
  drop_first_column(bundle["preprocessing"][0]);
  core::write_file_atomic(folder / "bundle.json", bundle.dump());
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("its content differs from what was exported"),
            std::string::npos);
  // Edits made consistent with the integrity record are still checked against the network.
  auto resigned = [&](const nlohmann::json& edited) { write_resigned(folder, edited); };
  resigned(bundle);
  EXPECT_NE(
      error_of([&] { FittedModel::load(folder); }).find("network.pt does not match bundle.json for modality 'mri'"),
      std::string::npos);
  bundle = nlohmann::json::parse(original);
  bundle["label_map"] = {"low", "zero", "positive"};
  resigned(bundle);
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("contradicts the network's classes"), std::string::npos);
  bundle = nlohmann::json::parse(original);
  bundle["fusion"] = "late";
  resigned(bundle);
  EXPECT_NE(error_of([&] {
              FittedModel::load(folder);
            }).find("bundle.json names fusion 'late' but network.pt holds a 'early' network"),
            std::string::npos);
  core::write_file_atomic(folder / "bundle.json", original);
  // Flipped bits in the weights.
  const std::string weights = core::read_text_file(folder / "network.pt");
  std::string flipped = weights;
  for (size_t i = 0; i < 100; ++i) flipped[flipped.size() / 2 + 7 * i] ^= 0x10;
  core::write_file_atomic(folder / "network.pt", flipped);
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("network.pt: its SHA-256 differs"), std::string::npos);
  core::write_file_atomic(folder / "network.pt", weights);
  // Only files the integrity record lists are read, and only inside the bundle.
  bundle = nlohmann::json::parse(original);
  bundle["integrity"]["files"]["../network.pt"] = bundle["integrity"]["files"]["network.pt"];
  resigned(bundle);
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("integrity record names file '../network.pt'"),
            std::string::npos);
  bundle = nlohmann::json::parse(original);
  bundle["integrity"]["files"].erase("network.pt");
  resigned(bundle);
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("'network.pt', which its integrity record does not list"),
            std::string::npos);
  core::write_file_atomic(folder / "bundle.json", std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("nested deeper than 32 levels"), std::string::npos);
  // Counts and sizes must be whole numbers in range: nlohmann's own conversion would truncate 2.5
  // and is undefined for 1e70 (a fuzzing finding).
  bundle = nlohmann::json::parse(original);
  bundle["absent_in_training"][0] = 3.7e70;
  resigned(bundle);
  EXPECT_NE(
      error_of([&] { FittedModel::load(folder); }).find("absent_in_training[0]: 3.7e+70, expected an integer in 0.."),
      std::string::npos);
  bundle = nlohmann::json::parse(original);
  bundle["version"] = 3.5;
  resigned(bundle);
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("version 3.5, this program reads version 3"),
            std::string::npos);
  bundle = nlohmann::json::parse(original);
  bundle["version"] = 99;
  core::write_file_atomic(folder / "bundle.json", bundle.dump());
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("version 99"), std::string::npos);
  core::write_file_atomic(folder / "bundle.json", original);
  // A table whose features lack a selected column is refused by name.
  auto table = table_of(config);
  auto loaded = FittedModel::load(folder);
  auto& block = table.blocks[0];
  block.columns[0] = "renamed";
  EXPECT_NE(error_of([&] { loaded.bind(table); }).find("which the case's features lack"), std::string::npos);
  fs::remove(folder / "network.pt");
  EXPECT_NE(error_of([&] { FittedModel::load(folder); }).find("does not exist"), std::string::npos);
}

// A classical learner's fitted state is checked as it is read: an edited tree that points outside
// itself is refused, even with the integrity record recomputed.
TEST(Bundles, ClassicalStatesAreCheckedAgainstTheirInputs) {
  const SmallCohort cohort("tampered_trees", 60, 33);
  const auto config =
      read_experiment_config(cohort.config("subsets = mri+clinical\nfusion = extra_trees\nexport = best"));
  std::ostringstream log;
  run_experiment(config, cohort.dir / "run", log);
  const auto folder = cohort.dir / "run" / "models" / "extra_trees_clinical_mri";
  auto bundle = nlohmann::json::parse(core::read_text_file(folder / "bundle.json"));
  auto resign_and_load = [&](const nlohmann::json& edited) {
    write_resigned(folder, edited);
    return error_of([&] { FittedModel::load(folder); });
  };
  EXPECT_EQ(resign_and_load(bundle), "");
  auto edited = bundle;
  edited["classifier"]["trees"][3]["right"][0] = -5;
  EXPECT_NE(resign_and_load(edited).find("classifier 'extra_trees' state: tree 3 node 0: children"), std::string::npos);
  // One selected column fewer: the trees were fitted on more inputs than the bundle now feeds them.
  edited = bundle;
  drop_first_column(edited["preprocessing"][0]);
  EXPECT_NE(resign_and_load(edited).find("but it is given"), std::string::npos);
}

// From images to a prediction: a case folder is extracted with the settings the bundle records
// and gives exactly the prediction its row of the run's own features gives.
TEST(Predict, ACaseFolderPredictsAsItsRowOfTheCohortFeaturesAndHandlesAbsentModalities) {
  const SyntheticCohortDir synthetic("predict", 45, 8);
  const auto& dir = synthetic.dir;
  core::write_file_atomic(dir / "extract.ini",
                          "[setting]\nbinCount = 16\n[features]\nfamilies = stats, glcm\n[regions]\nrings_mm = 2\n");
  core::write_file_atomic(dir / "run.ini",
                          "[cohort]\nmanifest = cohort/manifest.csv\nextract = extract.ini\n[experiment]\nsubsets = "
                          "mri+mg+us+clinical;mri+us+clinical\n"
                          "fusion = attention,logistic\nfolds = 3\nbootstrap = 50\nexport = all\nmax_features = "
                          "8\n[training]\nepochs = 4\n");
  std::ostringstream log;
  run_experiment(read_experiment_config(dir / "run.ini"), dir / "run", log);
  const auto attention = dir / "run" / "models" / "attention_clinical_mg_mri_us";
  const auto logistic = dir / "run" / "models" / "logistic_clinical_mg_mri_us";

  // The first case with every modality and a determinate label.
  const auto cohort = datasets::read_cohort(dir / "cohort" / "manifest.csv").cohort;
  const datasets::Case* chosen = nullptr;
  for (const auto& c : cohort.cases)
    if (!chosen && c.mri && c.mammography && c.ultrasound && c.label.her2) chosen = &c;
  ASSERT_NE(chosen, nullptr);
  const auto case_folder = dir / "cohort" / "cases" / chosen->case_id;
  std::ostringstream quiet;
  const auto from_images = predict_case({attention, case_folder, "", "", dir / "p1", 1, {}}, quiet);
  const auto from_row = predict_case({attention,
                                      dir / "cohort" / "manifest.csv",
                                      chosen->case_id,
                                      dir / "run" / "features" / "features.csv",
                                      dir / "p2",
                                      1,
                                      {}},
                                     quiet);
  for (const char* k : {"zero", "low", "positive"})
    EXPECT_NEAR(from_images["probabilities"][k].get<double>(), from_row["probabilities"][k].get<double>(), 1e-12) << k;
  EXPECT_EQ(from_images["case_id"], chosen->case_id);
  for (const char* m : {"mri", "mg", "us", "clinical"}) {
    EXPECT_TRUE(from_images["modalities_present"][m].get<bool>()) << m;
    EXPECT_TRUE(from_images["contributions"][m]["change"].is_number()) << m;
    EXPECT_GE(from_images["modality_weights"][m].get<double>(), 0.0) << m;
  }
  // An ordinary case: measured against its training cases, no calibration or sets asked for.
  for (const char* m : {"mri", "mg", "us"})
    EXPECT_TRUE(from_images["out_of_distribution"][m]["distance"].is_number()) << m;
  EXPECT_TRUE(from_images["prediction_set"].is_null());
  EXPECT_EQ(from_images["calibration"], "none");
  EXPECT_TRUE(from_images["model_evidence"]["cross_validated_for_present"]
                  .is_null());  // every modality: the model's own figures
  // Its evidence: the features behind the predicted class, in full in explanations/shap.csv.
  EXPECT_FALSE(from_images["explanation"]["top_features"].empty());
  EXPECT_TRUE(fs::exists(dir / "p1" / "explanations" / "shap.csv"));
  const auto report = core::read_text_file(dir / "p1" / "report.html");
  EXPECT_NE(report.find("<svg"), std::string::npos);
  EXPECT_NE(report.find("Feature attributions: " + from_images["explanation"]["method"].get<std::string>()),
            std::string::npos);
  // A picture of each image with its region, as files and inside the report.
  std::set<std::string> pictured;
  for (const auto& image : from_images["images"]) {
    pictured.insert(image["modality"].get<std::string>());
    EXPECT_GT(fs::file_size(dir / "p1" / image["file"].get<std::string>()), 1000u) << image.dump();
  }
  EXPECT_EQ(pictured, (std::set<std::string>{"mri", "mg", "us"}));
  EXPECT_EQ(std::count_if(from_images["images"].begin(), from_images["images"].end(),
                          [](const nlohmann::json& i) { return i["modality"] == "mg"; }),
            static_cast<long>(chosen->mammography->views.size()));
  EXPECT_NE(report.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // the PNG signature
  EXPECT_NE(report.find(chosen->case_id), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "p1" / "prediction.json"));
  // The same prediction as a DICOM SR that DCMTK's dsrdump reads, referencing every DICOM input.
  const auto sr = (dir / "p1" / "prediction_sr.dcm").string();
  const auto dump = testing_support::run_command("dsrdump +Pl " + sr);
  EXPECT_EQ(dump.status, 0) << dump.output;
  EXPECT_NE(dump.output.find("\"HER2-" + from_images["predicted_class"].get<std::string>() + "\")"), std::string::npos)
      << dump.output;
  char low[16];
  std::snprintf(low, sizeof low, "\"%.2f\"", 100 * from_images["probabilities"]["low"].get<double>());
  EXPECT_NE(dump.output.find(std::string("Probability of HER2-low\")=") + low), std::string::npos) << dump.output;
  size_t dicom_inputs = 0;
  for (const auto& entry : fs::recursive_directory_iterator(case_folder))
    dicom_inputs += entry.is_regular_file() && modalities::dicom::looks_like_dicom(entry.path());
  const auto references = testing_support::run_command("dcmdump +P ReferencedSOPInstanceUID " + sr).output;
  EXPECT_EQ(static_cast<size_t>(std::count(references.begin(), references.end(), '\n')), dicom_inputs) << references;
  EXPECT_GT(dicom_inputs, 0u);  // this case's site hands over DICOM

  // Without its mammograms: the attention model masks the modality, and its prediction equals the
  // "without mg" probabilities of the contribution analysis.
  const auto partial = dir / "partial";
  fs::copy(case_folder, partial, fs::copy_options::recursive);
  fs::remove_all(partial / "mg");
  const auto without_mg = predict_case({attention, partial, "", "", dir / "p3", 1, {}}, quiet);
  EXPECT_FALSE(without_mg["modalities_present"]["mg"].get<bool>());
  // The figures quoted are those of held-out cases with the same modalities, not the all-modality ones.
  EXPECT_EQ(without_mg["model_evidence"]["present_modalities"], "mri+us+clinical");
  const auto& for_present = without_mg["model_evidence"]["cross_validated_for_present"];
  ASSERT_TRUE(for_present.is_object()) << without_mg.dump(1);
  EXPECT_EQ(for_present["ablation_cell"]["model"], "attention[clinical+mri+us]") << for_present.dump();
  EXPECT_NE(core::read_text_file(dir / "p3" / "report.html").find("not this case's"), std::string::npos);
  for (const char* k : {"zero", "low", "positive"})
    EXPECT_NEAR(without_mg["probabilities"][k].get<double>(),
                from_images["contributions"]["mg"]["without"][k].get<double>(), 1e-12);

  // A manifest of several cases is predicted case by case; a broken case is named and, with
  // skip_bad_cases, left out.
  {
    const auto manifest = core::read_text_file(dir / "cohort" / "manifest.csv");
    std::istringstream lines(manifest);
    std::string header, line, batch;
    std::getline(lines, header);
    batch = header + "\n";
    std::vector<std::string> ids;
    while (ids.size() < 3 && std::getline(lines, line)) {
      if (line.substr(0, line.find(',')) == chosen->case_id) continue;
      batch += line + "\n";
      ids.push_back(line.substr(0, line.find(',')));
    }
    // Beside the cohort's case folders but not its clinical table (which holds other cases too).
    const auto batch_dir = dir / "batch_cohort";
    fs::create_directories(batch_dir);
    fs::create_directory_symlink(dir / "cohort" / "cases", batch_dir / "cases");
    core::write_file_atomic(batch_dir / "manifest.csv", batch);
    fs::remove_all(dir / "cohort" / "cases" / ids[1]);  // its files are gone
    EXPECT_EQ(cases_in(batch_dir / "manifest.csv"), 3u);
    const auto stopped = error_of([&] {
      predict_cohort({attention, batch_dir / "manifest.csv", "", "", dir / "batch", 2, {}}, false, quiet);
    });
    EXPECT_NE(stopped.find(ids[1]), std::string::npos) << stopped;
    const auto summary =
        predict_cohort({attention, batch_dir / "manifest.csv", "", "", dir / "batch2", 2, {}}, true, quiet);
    EXPECT_EQ(summary.predicted, 2u) << (summary.skipped.empty()
                                             ? ""
                                             : summary.skipped[0].first + ": " + summary.skipped[0].second);
    ASSERT_EQ(summary.skipped.size(), 1u);
    EXPECT_EQ(summary.skipped[0].first, ids[1]);
    const auto table = core::read_csv(dir / "batch2" / "predictions.csv");
    ASSERT_EQ(table.rows.size(), 2u);
    EXPECT_EQ(table.rows[0][0], ids[0]);
    const auto single = nlohmann::json::parse(core::read_text_file(dir / "batch2" / ids[0] / "prediction.json"));
    EXPECT_EQ(table.rows[0][2], core::format_double(single["probabilities"]["zero"].get<double>()));
    EXPECT_TRUE(fs::exists(dir / "batch2" / "excluded.csv"));
    // Provenance: the program, the time and every input file's SHA-256.
    EXPECT_EQ(single["provenance"]["program"], "vbiopsy predict");
    EXPECT_EQ(single["provenance"]["bundle_json_sha256"].get<std::string>().size(), 64u);
    EXPECT_FALSE(single["provenance"]["inputs"].empty());
  }

  // Every training case had clinical values: the classical learner cannot do without them.
  fs::remove(partial / "clinical.csv");
  ASSERT_EQ(FittedModel::load(logistic).absent_in_training().back(), 0u);
  EXPECT_NE(error_of([&] {
              predict_case({logistic, partial, "", "", dir / "p4", 1, {}}, quiet);
            }).find("was trained only on cases with clinical"),
            std::string::npos);
  // A file that fits no naming rule is named.
  core::write_file_atomic(partial / "us" / "notes.txt", "x");
  EXPECT_NE(error_of([&] {
              predict_case({attention, partial, "", "", dir / "p5", 1, {}}, quiet);
            }).find("notes.txt fits no naming rule"),
            std::string::npos);
}

TEST(CaseFolder, ReadsTheSyntheticCaseLayoutAsTheManifestDoes) {
  const SyntheticCohortDir synthetic("case_folder", 6, 2);
  const auto& dir = synthetic.dir;
  const auto cohort = datasets::read_cohort(dir / "cohort" / "manifest.csv").cohort;
  for (const auto& expected : cohort.cases) {
    datasets::write_case_folder_manifest(dir / "cohort" / "cases" / expected.case_id, dir / "one" / "manifest.csv");
    const auto reading = datasets::read_cohort(dir / "one" / "manifest.csv", std::nullopt, false);
    ASSERT_TRUE(reading.problems.empty()) << datasets::to_string(reading.problems.front());
    const auto& c = reading.cohort.cases.at(0);
    EXPECT_EQ(c.case_id, expected.case_id);
    EXPECT_FALSE(c.label.her2.has_value());  // no IHC in a case to predict
    ASSERT_EQ(c.mri.has_value(), expected.mri.has_value());
    if (c.mri) {
      EXPECT_EQ(c.mri->dce, expected.mri->dce);
      EXPECT_EQ(c.mri->dce_times_s, expected.mri->dce_times_s);
      EXPECT_EQ(c.mri->dwi, expected.mri->dwi);
      EXPECT_EQ(c.mri->dwi_b_values, expected.mri->dwi_b_values);
      EXPECT_EQ(c.mri->t2, expected.mri->t2);
      EXPECT_EQ(c.mri->mask, expected.mri->mask);
    }
    ASSERT_EQ(c.mammography.has_value(), expected.mammography.has_value());
    if (c.mammography) {
      ASSERT_EQ(c.mammography->views.size(), expected.mammography->views.size());
    }
    ASSERT_EQ(c.ultrasound.has_value(), expected.ultrasound.has_value());
    if (c.ultrasound) {
      EXPECT_EQ(c.ultrasound->frames, expected.ultrasound->frames);
    }
    EXPECT_EQ(c.clinical.ki67_percent, expected.clinical.ki67_percent);
    EXPECT_EQ(c.clinical.age_years, expected.clinical.age_years);
    EXPECT_EQ(c.clinical.er_positive, expected.clinical.er_positive);
  }
}

}  // namespace
}  // namespace vbiopsy::experiments

namespace vbiopsy::experiments {
namespace {

TEST(Embeddings, JoinByCaseIdLeavesMissingCasesEmptyAndRefusesClashingColumns) {
  const auto features = core::parse_csv("case_id,has_mg,mg_a\nA,1,1\nB,1,2\nC,0,\n", "features.csv");
  const auto extra = core::parse_csv("case_id,mg_fm_0\nB,0.5\nA,0.25\nZ,9\n", "embeddings.csv");
  const auto joined = join_by_case_id(features, extra);
  EXPECT_EQ(joined.header, (std::vector<std::string>{"case_id", "has_mg", "mg_a", "mg_fm_0"}));
  EXPECT_EQ(joined.rows[0][3], "0.25");
  EXPECT_EQ(joined.rows[1][3], "0.5");
  EXPECT_EQ(joined.rows[2][3], "");
  EXPECT_NE(error_of([&] {
              join_by_case_id(features, core::parse_csv("case_id,mg_a\nA,1\n", "e.csv"));
            }).find("column 'mg_a' is already in"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              join_by_case_id(features, core::parse_csv("case_id,x\nA,1\nA,2\n", "e.csv"));
            }).find("appears twice"),
            std::string::npos);
}

}  // namespace
}  // namespace vbiopsy::experiments

namespace vbiopsy::experiments {
namespace {

// Habitats of a fold are clustered on its training cases only: the model names exactly them, and
// changing a held-out case's voxels changes no training case's description.
TEST(FoldHabitats, ClusterOnTrainingCasesOnlyAndDescribeEveryCaseTheSameWhateverTheThreads) {
  const SyntheticCohortDir synthetic("fold_habitats", 16, 4);
  const auto& dir = synthetic.dir;
  const auto cohort = datasets::read_cohort(dir / "cohort" / "manifest.csv").cohort;
  std::vector<std::string> ids;
  for (const auto& c : cohort.cases) ids.push_back(c.case_id);
  extraction::CohortExtractionSettings settings;
  settings.habitat_maps = {"wash_in", "ser"};
  settings.habitat_options.fixed_habitats = 3;
  auto voxels = habitat_voxels_of(cohort, ids, settings, 2);
  std::vector<size_t> train, test;
  std::vector<std::string> train_ids;
  for (size_t i = 0; i < ids.size(); ++i) {
    (i % 4 == 0 ? test : train).push_back(i);
    if (i % 4 != 0 && voxels[i]) train_ids.push_back(ids[i]);
  }
  FoldHabitats fold;
  fold.fit(voxels, train, settings);
  EXPECT_EQ(fold.model().training_case_ids, train_ids);
  // Equal values, a habitat's missing means (NaN) included.
  auto same = [](const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           ((a.array() == b.array()) || (a.array().isNaN() && b.array().isNaN())).all();
  };
  const auto block = fold.block(voxels, 1);
  EXPECT_EQ(block.columns.size(), 3u * 3u);
  EXPECT_TRUE(same(block.values, fold.block(voxels, 2).values));
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(block.present[i], voxels[i].has_value());
    if (!voxels[i]) continue;
    double fractions = 0;
    for (int h = 0; h < 3; ++h) fractions += block.values(static_cast<Eigen::Index>(i), h * 3);
    EXPECT_NEAR(fractions, 1.0, 1e-12);
  }
  auto changed = voxels;
  for (size_t i : test)
    if (changed[i]) changed[i]->features *= 3.0;
  FoldHabitats refit;
  refit.fit(changed, train, settings);
  const auto changed_block = refit.block(changed, 2);
  for (size_t i : train)
    if (voxels[i]) {
      EXPECT_EQ(changed_block.values.row(static_cast<Eigen::Index>(i)), block.values.row(static_cast<Eigen::Index>(i)));
    }
  const auto loaded = FoldHabitats::load(nlohmann::json::parse(fold.save().dump()));
  EXPECT_TRUE(same(loaded.block(voxels, 1).values, block.values));
}

}  // namespace
}  // namespace vbiopsy::experiments
