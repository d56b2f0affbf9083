#include "experiments/fold_habitats.h"

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/parallel.h"
#include "extraction/mri_maps.h"
#include "modalities/case_loader.h"
#include "modalities/image_io.h"
#include "fusion/json_integers.h"

namespace vbiopsy::experiments {

namespace {

using Criterion = modalities::mri::HabitatOptions::Criterion;

nlohmann::json matrix_json(const Eigen::MatrixXd& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    std::vector<double> row;
    for (Eigen::Index j = 0; j < m.cols(); ++j) row.push_back(m(i, j));
    rows.push_back(row);
  }
  return rows;
}

Eigen::MatrixXd matrix_from(const nlohmann::json& rows) {
  const auto data = rows.get<std::vector<std::vector<double>>>();
  Eigen::MatrixXd m(static_cast<Eigen::Index>(data.size()),
                    data.empty() ? 0 : static_cast<Eigen::Index>(data[0].size()));
  for (size_t i = 0; i < data.size(); ++i) {
    if (static_cast<Eigen::Index>(data[i].size()) != m.cols()) core::fail("habitat model: ragged matrix");
    for (size_t j = 0; j < data[i].size(); ++j)
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = data[i][j];
  }
  return m;
}

}  // namespace

CohortVoxels habitat_voxels_of(const datasets::Cohort& cohort, const std::vector<std::string>& case_ids,
                               const extraction::CohortExtractionSettings& settings, unsigned threads,
                               std::vector<std::pair<std::string, std::string>>* failures) {
  std::map<std::string, const datasets::Case*> by_id;
  for (const auto& c : cohort.cases) by_id[c.case_id] = &c;
  CohortVoxels out(case_ids.size());
  std::vector<std::string> errors(case_ids.size());
  modalities::prepare_itk_for_threads();
  core::parallel_for(case_ids.size(), threads, [&](size_t i) {
    const auto it = by_id.find(case_ids[i]);
    if (it == by_id.end() || !it->second->mri) return;
    try {
      out[i] = extraction::habitat_voxels(*it->second, settings);
    } catch (const core::Error& e) {
      errors[i] = e.what();
    }
  });
  if (failures)
    for (size_t i = 0; i < case_ids.size(); ++i)
      if (!errors[i].empty()) failures->emplace_back(case_ids[i], errors[i]);
  return out;
}

void FoldHabitats::fit(const CohortVoxels& voxels, const std::vector<size_t>& train,
                       const extraction::CohortExtractionSettings& settings) {
  options_ = settings.habitat_options;
  maps_ = settings.habitat_maps;
  std::vector<modalities::mri::CaseVoxels> training;
  for (size_t r : train)
    if (voxels[r]) training.push_back(*voxels[r]);
  if (training.size() < 2)
    core::fail("habitats: ", training.size(), " training case(s) with MRI voxels; at least two are needed");
  model_ = modalities::mri::fit_habitat_model(training, options_, settings.threads);
}

FeatureBlock FoldHabitats::block(const CohortVoxels& voxels, unsigned threads) const {
  const int k = model_.habitats();
  const auto d = static_cast<size_t>(model_.centroids.cols());
  FeatureBlock block;
  block.modality = "habitats";
  for (int h = 1; h <= k; ++h) {
    block.columns.push_back("habitat" + std::to_string(h) + "_fraction");
    for (size_t j = 0; j < d; ++j)
      block.columns.push_back("habitat" + std::to_string(h) + "_" +
                              (j < maps_.size() ? maps_[j] : "map" + std::to_string(j)));
  }
  block.values = Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(voxels.size()),
                                           static_cast<Eigen::Index>(block.columns.size()),
                                           std::numeric_limits<double>::quiet_NaN());
  for (const auto& v : voxels) block.present.push_back(v.has_value());
  core::parallel_for(voxels.size(), threads, [&](size_t i) {
    if (!voxels[i]) return;
    const auto& c = *voxels[i];
    const auto labels = modalities::mri::apply_habitat_model(model_, c, options_);
    std::vector<double> count(static_cast<size_t>(k) + 1, 0);
    Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(k + 1, static_cast<Eigen::Index>(d));
    for (size_t v = 0; v < c.voxels.size(); ++v) {
      const int h = labels.voxels[c.voxels[v]];
      if (h < 1 || h > k) continue;
      count[static_cast<size_t>(h)] += 1;
      sum.row(h) += c.features.row(static_cast<Eigen::Index>(v));
    }
    double total = 0;
    for (int h = 1; h <= k; ++h) total += count[static_cast<size_t>(h)];
    for (int h = 1; h <= k; ++h) {
      const auto base = static_cast<Eigen::Index>((h - 1) * static_cast<int>(d + 1));
      const auto row = static_cast<Eigen::Index>(i);
      block.values(row, base) = total > 0 ? count[static_cast<size_t>(h)] / total : 0.0;
      if (count[static_cast<size_t>(h)] > 0)
        for (size_t j = 0; j < d; ++j)
          block.values(row, base + 1 + static_cast<Eigen::Index>(j)) =
              sum(h, static_cast<Eigen::Index>(j)) / count[static_cast<size_t>(h)];
    }
  });
  return block;
}

nlohmann::json FoldHabitats::save() const {
  return {{"maps", maps_},
          {"training_cases", model_.training_case_ids},
          {"mean", std::vector<double>(model_.mean.data(), model_.mean.data() + model_.mean.size())},
          {"sd", std::vector<double>(model_.sd.data(), model_.sd.data() + model_.sd.size())},
          {"centroids", matrix_json(model_.centroids)},
          {"options",
           {{"supervoxels_per_case", options_.supervoxels_per_case},
            {"min_habitats", options_.min_habitats},
            {"max_habitats", options_.max_habitats},
            {"fixed_habitats", options_.fixed_habitats},
            {"criterion", options_.criterion == Criterion::kSilhouette ? "silhouette" : "calinski_harabasz"},
            {"min_fragment_voxels", options_.min_fragment_voxels},
            {"seed", options_.seed}}}};
}

FoldHabitats FoldHabitats::load(const nlohmann::json& state) {
  FoldHabitats out;
  try {
    out.maps_ = state.at("maps").get<std::vector<std::string>>();
    out.model_.training_case_ids = state.at("training_cases").get<std::vector<std::string>>();
    const auto mean = state.at("mean").get<std::vector<double>>(), sd = state.at("sd").get<std::vector<double>>();
    out.model_.mean = Eigen::Map<const Eigen::RowVectorXd>(mean.data(), static_cast<Eigen::Index>(mean.size()));
    out.model_.sd = Eigen::Map<const Eigen::RowVectorXd>(sd.data(), static_cast<Eigen::Index>(sd.size()));
    out.model_.centroids = matrix_from(state.at("centroids"));
    const auto& o = state.at("options");
    out.options_.supervoxels_per_case = fusion::json_integer<int>(o.at("supervoxels_per_case"), "supervoxels_per_case");
    out.options_.min_habitats = fusion::json_integer<int>(o.at("min_habitats"), "min_habitats");
    out.options_.max_habitats = fusion::json_integer<int>(o.at("max_habitats"), "max_habitats");
    out.options_.fixed_habitats = fusion::json_integer<int>(o.at("fixed_habitats"), "fixed_habitats");
    out.options_.criterion =
        o.at("criterion").get<std::string>() == "silhouette" ? Criterion::kSilhouette : Criterion::kCalinskiHarabasz;
    out.options_.min_fragment_voxels = fusion::json_integer<int>(o.at("min_fragment_voxels"), "min_fragment_voxels");
    if (!o.at("seed").is_number_unsigned())
      core::fail("habitat model state: seed ", o.at("seed").dump(), ", expected a whole number >= 0");
    out.options_.seed = o.at("seed").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    core::fail("habitat model state: ", e.what());
  }
  const auto d = out.model_.centroids.cols();
  if (out.model_.mean.size() != d || out.model_.sd.size() != d || static_cast<size_t>(d) != out.maps_.size() ||
      out.model_.centroids.rows() < 1)
    core::fail("habitat model state: ", out.maps_.size(), " maps, ", out.model_.mean.size(), " means, ", d,
               "-column centroids");
  return out;
}

FeatureTable with_block(const FeatureTable& table, FeatureBlock block) {
  FeatureTable out = table;
  for (auto& b : out.blocks)
    if (b.modality == block.modality) {
      b = std::move(block);
      return out;
    }
  core::fail("the feature table has no modality '", block.modality, "'");
}

}  // namespace vbiopsy::experiments
