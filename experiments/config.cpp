#include "experiments/config.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/ini.h"
#include "core/strings.h"
#include "experiments/calibration.h"
#include "experiments/image_inputs.h"
#include "experiments/statistics/metrics.h"
#include "encoders/nn/image_layouts.h"

namespace vbiopsy::experiments {

namespace po = boost::program_options;

namespace {

std::vector<std::string> list(const std::string& text, char separator) {
  std::vector<std::string> out;
  for (const auto& part : core::split(text, separator))
    if (const auto item = core::trim(part); !item.empty()) out.push_back(item);
  return out;
}

}  // namespace

namespace {

// [source]: known keys, and published figures that are metrics.json metrics with values in 0..1.
template <typename Problem>
void check_citation(const OptionMap& citation, Problem& problem) {
  std::vector<std::string> metrics{"macro_auc", "micro_auc",         "auc_zero", "auc_low", "auc_positive",
                                   "accuracy",  "balanced_accuracy", "brier",    "ece"};
  for (const char* kind : {"sensitivity_", "specificity_", "ppv_", "npv_"})
    for (const char* c : kClassNames) metrics.push_back(std::string(kind) + c);
  std::vector<std::string> keys{"authors", "title", "journal", "year", "doi", "cohort", "model"};
  for (const auto& m : metrics) keys.push_back("published_" + m);
  for (const auto& [key, value] : citation) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      problem("unknown key 'source.", key, "'", core::did_you_mean(key, keys),
              " (authors, title, journal, year, doi, cohort, model, published_<metric>)");
      continue;
    }
    if (key.rfind("published_", 0) != 0) continue;
    const auto number = core::parse_double(value);
    if (!number || !(*number >= 0 && *number <= 1))
      problem("source.", key, " = '", value, "', expected a number in 0..1");
  }
}

}  // namespace

std::string model_name(const std::string& fusion, const std::vector<std::string>& subset,
                       const std::vector<std::string>& tags) {
  std::vector<std::string> sorted;
  for (size_t i = 0; i < subset.size(); ++i)
    sorted.push_back(i < tags.size() && !tags[i].empty() ? subset[i] + ":" + tags[i] : subset[i]);
  std::sort(sorted.begin(), sorted.end());
  return fusion + "[" + core::join(sorted, "+") + "]";
}

std::vector<std::string> encoder_choices(const ExperimentConfig& config, const std::string& modality) {
  const auto it = config.encoder_names.find(modality);
  if (it != config.encoder_names.end() && !it->second.empty()) return it->second;
  return {modality == "clinical" ? "clinical" : "radiomics_mlp"};
}

OptionMap encoder_options_for(const ExperimentConfig& config, const std::string& modality, const std::string& encoder) {
  OptionMap out;
  if (const auto it = config.encoder_options.find(modality); it != config.encoder_options.end()) out = it->second;
  if (const auto it = config.encoder_options.find(modality + "." + encoder); it != config.encoder_options.end())
    for (const auto& [k, v] : it->second) out[k] = v;
  return out;
}

bool needs_feature_columns(const ExperimentConfig& config, const std::string& modality) {
  if (modality == "clinical") return false;
  const auto choices = encoder_choices(config, modality);
  const bool vector_encoder =
      std::any_of(choices.begin(), choices.end(), [](const std::string& e) { return !encoders::is_image_encoder(e); });
  return vector_encoder || modality == "habitats";
}

ExperimentConfig read_experiment_config(const std::filesystem::path& path, std::vector<std::string>* problems) {
  return parse_experiment_config(core::read_text_file(path), path, path.parent_path(), problems);
}

ExperimentConfig parse_experiment_config(const std::string& text, const std::filesystem::path& path,
                                         const std::filesystem::path& base, std::vector<std::string>* collected) {
  ExperimentConfig config;
  std::vector<std::string> problems;
  auto problem = [&](auto&&... parts) { problems.push_back(core::concat(parts...)); };
  config.source = path;
  config.text = text;
  std::string manifest, features, clinical, modalities = "mri,mg,us,clinical", subsets = "all", fusions = "early",
                                            reference, test_sites, extract, extract_into, exports = "best", embeddings;
  po::options_description known;
  known.add_options()("cohort.manifest", po::value(&manifest)->required())("cohort.features", po::value(&features))(
      "cohort.embeddings", po::value(&embeddings))("cohort.extract", po::value(&extract))(
      "cohort.extract_into", po::value(&extract_into))("cohort.clinical", po::value(&clinical))(
      "experiment.modalities", po::value(&modalities))("experiment.subsets", po::value(&subsets))(
      "experiment.fusion", po::value(&fusions))("experiment.folds", po::value(&config.folds))(
      "experiment.repeats", po::value(&config.repeats))("experiment.seed", po::value(&config.seed))(
      "experiment.threads", po::value(&config.threads))("experiment.bootstrap", po::value(&config.bootstrap))(
      "experiment.max_features", po::value(&config.max_features))("experiment.reference", po::value(&reference))(
      "experiment.comparisons", po::value(&config.comparisons))("experiment.permute_labels",
                                                                po::value(&config.permute_labels))(
      "experiment.validation", po::value(&config.validation))("experiment.selection", po::value(&config.selection))(
      "experiment.correlation", po::value(&config.correlation))(
      "experiment.lasso_lambda", po::value(&config.lasso_lambda))("experiment.icc", po::value(&config.icc))(
      "experiment.test_sites", po::value(&test_sites))("experiment.export", po::value(&exports))(
      "experiment.harmonisation", po::value(&config.harmonisation))(
      "experiment.export_metric", po::value(&config.export_metric))("calibration.method",
                                                                    po::value(&config.calibration))(
      "calibration.holdout", po::value(&config.calibration_holdout))("calibration.alpha",
                                                                     po::value(&config.conformal_alpha));
  core::require_utf8(config.text, path.string());
  core::require_keys_in_sections(config.text, path.string(),
                                 "[cohort], [experiment] or another section (see docs/experiments.md)");
  po::variables_map values;
  try {
    std::istringstream stream(config.text);
    const auto parsed = po::parse_config_file(stream, known, true);
    po::store(parsed, values);
    po::notify(values);
    for (const auto& option : parsed.options) {
      if (!option.unregistered) continue;
      const std::string& key = option.string_key;
      const std::string value = option.value.empty() ? "" : option.value.front();
      const auto dot = key.rfind('.');
      const std::string section = key.substr(0, dot), name = key.substr(dot + 1);
      if (section == "training")
        config.training[name] = value;
      else if (section == "head")
        config.head[name] = value;
      else if (section == "source")
        config.citation[name] = value;
      else if (section == "columns")
        config.column_prefixes[name] = list(value, ',');
      else if (section.rfind("encoder.", 0) == 0) {
        const std::string key_of = section.substr(8);  // <modality> or <modality>.<encoder>
        if (name != "name")
          config.encoder_options[key_of][name] = value;
        else if (key_of.find('.') != std::string::npos)
          problem("[", section, "] sets options of one encoder; 'name' belongs in [encoder.",
                  key_of.substr(0, key_of.find('.')), "]");
        else
          config.encoder_names[key_of] = list(value, ',');
      } else if (section.rfind("images.", 0) == 0) {
        config.image_options[section.substr(7)][name] = value;
      } else if (section.rfind("fusion.", 0) == 0) {
        config.fusion_options[section.substr(7)][name] = value;
      } else {
        std::vector<std::string> keys;
        for (const auto& option : known.options()) keys.push_back(option->long_name());
        problem("unknown key '", key, "'", core::did_you_mean(key, keys),
                " (sections: cohort, experiment, calibration, training, head, encoder.<modality>, "
                "encoder.<modality>.<encoder>, images.<modality>, fusion.<method>)");
      }
    }
  } catch (const po::error& e) {
    problem(e.what());
  }
  auto resolve = [&](const std::string& p) {
    return p.empty()                                ? std::filesystem::path()
           : std::filesystem::path(p).is_absolute() ? std::filesystem::path(p)
                                                    : base / p;
  };
  config.manifest = resolve(manifest);
  config.features = resolve(features);
  config.extract = resolve(extract);
  config.extract_into = resolve(extract_into);
  if (!config.features.empty() && !config.extract.empty())
    problem("give only one of cohort.features (a features.csv) and cohort.extract (extraction settings)");
  config.clinical = resolve(clinical);
  for (const auto& file : list(embeddings, ',')) config.embeddings.push_back(resolve(file));
  config.modalities = list(modalities, ',');
  config.fusions = list(fusions, ',');
  config.reference = reference;
  config.test_sites = list(test_sites, ',');
  config.exports = list(exports, ',');
  if (config.selection != "anova" && config.selection != "lasso" && config.selection != "mrmr")
    problem("experiment.selection = '", config.selection, "', expected anova, lasso or mrmr");
  check_citation(config.citation, problem);
  if (config.comparisons != "reference" && config.comparisons != "all_pairs")
    problem("experiment.comparisons = '", config.comparisons, "'",
            core::did_you_mean(config.comparisons, {"reference", "all_pairs"}), ", expected reference or all_pairs");
  if (config.harmonisation != "none" && config.harmonisation != "combat")
    problem("experiment.harmonisation = '", config.harmonisation, "', expected none or combat");
  if (!(config.correlation >= 0 && config.correlation < 1) ||
      !(config.lasso_lambda > 0 && std::isfinite(config.lasso_lambda)))
    problem("experiment.correlation must be in [0, 1) and lasso_lambda > 0");
  if (!(config.icc >= 0 && config.icc < 1)) problem("experiment.icc = ", config.icc, ", expected 0 (off) to below 1");
  try {
    check_calibration_method(config.calibration);
  } catch (const core::Error& e) {
    problem(e.what());
  }
  if (!(config.calibration_holdout >= 0 && config.calibration_holdout <= 0.5))
    problem("calibration.holdout = ", config.calibration_holdout, ", expected 0 (none) to 0.5");
  if (!(config.conformal_alpha > 0 && config.conformal_alpha < 1))
    problem("calibration.alpha = ", config.conformal_alpha, ", expected a number in (0, 1)");
  if (config.calibration != "none" && config.calibration_holdout == 0)
    problem("calibration.method = ", config.calibration,
            " needs calibration.holdout > 0 (the training cases it is fitted on)");
  if (config.export_metric != "macro_auc" && config.export_metric != "brier" && config.export_metric != "ece")
    problem("experiment.export_metric = '", config.export_metric, "', expected macro_auc, brier or ece");
  if (config.validation != "kfold" && config.validation != "leave_one_site_out" && config.validation != "test_sites")
    problem("experiment.validation = '", config.validation, "', expected kfold, leave_one_site_out or test_sites");
  if (config.validation == "test_sites" && config.test_sites.empty())
    problem("experiment.validation = test_sites needs experiment.test_sites");
  if (config.modalities.empty() || config.fusions.empty())
    problem("experiment.modalities and experiment.fusion must not be empty");
  for (const auto& m : config.modalities)
    if (m != "mri" && m != "mg" && m != "us" && m != "clinical" && m != "habitats")
      problem("experiment.modalities has '", m, "'", core::did_you_mean(m, {"mri", "mg", "us", "clinical", "habitats"}),
              ", expected mri, mg, us, clinical or habitats");
  if (config.folds < 2 || config.repeats < 1 || config.bootstrap < 1 || config.threads < 1)
    problem("folds >= 2, repeats >= 1, bootstrap >= 1, threads >= 1 expected");
  if (config.features.empty() && config.extract.empty())
    for (const auto& m : config.modalities)
      if (needs_feature_columns(config, m))
        problem("modality '", m, "' reads feature columns (encoder ", core::join(encoder_choices(config, m), ", "),
                "): give cohort.features (a features.csv) or cohort.extract (extraction settings)");
  for (const auto& [key, names] : config.encoder_names)
    if (std::find(config.modalities.begin(), config.modalities.end(), key) == config.modalities.end())
      problem("[encoder.", key, "] names a modality that is not in experiment.modalities");
  if (subsets == "all") {
    const size_t n = config.modalities.size();
    for (unsigned mask = 1; mask < (1u << n); ++mask) {
      std::vector<std::string> subset;
      for (size_t i = 0; i < n; ++i)
        if (mask & (1u << i)) subset.push_back(config.modalities[i]);
      config.subsets.push_back(subset);
    }
  } else {
    for (const auto& item : list(subsets, ';')) {
      auto subset = list(item, '+');
      for (const auto& m : subset)
        if (std::find(config.modalities.begin(), config.modalities.end(), m) == config.modalities.end())
          problem("subset '", item, "' names '", m, "', which is not in experiment.modalities");
      config.subsets.push_back(subset);
    }
  }
  if (!problems.empty()) {
    if (!collected) core::fail(path.string(), ": ", core::join(problems, "\n" + path.string() + ": "));
    for (const auto& p : problems) collected->push_back(path.string() + ": " + p);
  }
  return config;
}

}  // namespace vbiopsy::experiments
