#include "encoders/radiomics/cohort_extraction.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/parallel.h"
#include "core/strings.h"
#include "core/warnings.h"
#include "encoders/radiomics/extraction_inputs.h"
#include "encoders/radiomics/regions.h"
#include "encoders/radiomics/settings.h"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include "modalities/case_loader.h"
#include "modalities/mri/kinetics.h"
#include "modalities/mri/overlay.h"
#include "modalities/mri/registration.h"
#include "modalities/image_io.h"

namespace vbiopsy::encoders::radiomics {
namespace fs = std::filesystem;

namespace {

// Bump when feature definitions change, so that old cache entries are not reused.
constexpr const char* kEngineVersion = "vbiopsy-radiomics-3";  // 3: own marching cubes

struct Block {
  std::string name;  // column prefix
  std::vector<std::pair<std::string, double>> values;
};

// One image + mask to extract, with what identifies it for the cache.
struct Job {
  std::string name;
  const core::Image* image;
  core::Mask mask;
  std::vector<fs::path> sources;  // files whose bytes define the input
  std::string region;             // "tumour", "ring2mm"
  // The same region drawn by a second reader ([regions] retest = reader2), with its mask file.
  std::optional<core::Mask> reader2;
  std::optional<fs::path> reader2_source;
};

std::vector<std::pair<std::string, double>> read_cached(const fs::path& file) {
  std::vector<std::pair<std::string, double>> values;
  auto table = core::read_csv(file);
  for (auto& row : table.rows) {
    auto v = core::parse_double(row[1]);
    values.emplace_back(row[0], v ? *v : std::numeric_limits<double>::quiet_NaN());
  }
  return values;
}

// Every block of one case's modality in one file (block,name,value), for the modality cache below.
void write_modality_blocks(const fs::path& file, const std::vector<Block>& blocks) {
  std::string csv = core::csv_line({"block", "name", "value"});
  for (const auto& b : blocks)
    for (const auto& [name, value] : b.values) csv += core::csv_line({b.name, name, core::format_double(value)});
  core::write_file_atomic(file, csv);
}

std::vector<Block> read_modality_blocks(const fs::path& file) {
  std::vector<Block> blocks;
  for (const auto& row : core::read_csv(file).rows) {
    if (row.size() != 3) core::fail(file.string(), ": a row of ", row.size(), " fields, expected 3 (block,name,value)");
    if (blocks.empty() || blocks.back().name != row[0]) blocks.push_back({row[0], {}});
    const auto v = core::parse_double(row[2]);
    blocks.back().values.emplace_back(row[1], v ? *v : std::numeric_limits<double>::quiet_NaN());
  }
  return blocks;
}

// The blocks that are no radiomics of a region (and so are not counted as radiomics blocks).
bool is_summary_block(const std::string& name) {
  return name == "mri_registration" || name == "mri_habitats" || name == "mri_tofts" || name == "mri_kinetics";
}

// The settings beyond the radiomics' (settings_text) that change a modality's blocks.
std::string modality_settings_text(const CohortExtractionSettings& s) {
  const auto& a = s.acquisition;
  std::string text = core::concat("retest=", s.retest, ";kinetics=", s.kinetics, ";tofts=", s.tofts, ":", s.extended_tofts, ":",
                                  core::format_double(a.t10_s), ",", core::format_double(a.tr_s), ",", core::format_double(a.flip_angle_deg), ",",
                                  core::format_double(a.relaxivity), ",", core::format_double(a.injection_time_s), ",",
                                  core::format_double(a.haematocrit), ";habitat_ring=", core::format_double(s.habitat_ring_mm), ";sequences=");
  for (const auto& sequence : s.sequences) text += sequence + ",";
  return text;  // the habitats enter through the content of each case's label map
}

// The named voxel maps of one MRI study, all on the DCE grid.
struct MriMaps {
  modalities::mri::KineticMaps kinetics;
  std::optional<core::Image> adc;
  const core::Image* get(const std::string& name, const modalities::LoadedMri& mri, const std::string& case_id) const {
    const std::pair<const char*, const core::Image*> named[] = {
        {"pe", &kinetics.peak_enhancement}, {"ttp", &kinetics.time_to_peak}, {"me", &kinetics.mean_enhancement},
        {"ie", &kinetics.initial_enhancement}, {"wash_in", &kinetics.wash_in}, {"ser", &kinetics.ser},
        {"wash_out", &kinetics.wash_out}, {"auc60", &kinetics.auc60}, {"auc90", &kinetics.auc90}};
    for (auto [n, image] : named)
      if (name == n) return image;
    if (name == "adc") {
      if (!adc) core::fail("case ", case_id, ": habitat map 'adc' needs an ADC map or DWI with two or more b-values");
      return &*adc;
    }
    if (name == "t2") {
      if (!mri.t2) core::fail("case ", case_id, ": habitat map 't2' needs a T2-weighted image");
      return &*mri.t2;
    }
    if (name.size() > 3 && name.rfind("dce", 0) == 0 && std::all_of(name.begin() + 3, name.end(), ::isdigit)) {
      const auto phase = core::parse_int(name.substr(3));  // dce0 = pre-contrast, dce2 = second post-contrast phase
      if (!phase || *phase < 0 || static_cast<unsigned long long>(*phase) >= mri.dce.size()) core::fail("case ", case_id, ": habitat map '", name, "': the DCE has ", mri.dce.size(), " phases");
      return &mri.dce[static_cast<size_t>(*phase)];
    }
    core::fail("unknown habitat map '", name, "'; known: pe, ttp, me, ie, wash_in, ser, wash_out, auc60, auc90, adc, t2, dce<phase>");
  }
};

// Loads a study; with registration, T2 and the ADC map are aligned to the pre-contrast DCE
// (rigid, mutual information) and the final metrics are returned.
struct RegisteredMri {
  modalities::LoadedMri mri;
  std::vector<std::pair<std::string, double>> metrics;
};

RegisteredMri load_registered(const datasets::MriStudy& study, const CohortExtractionSettings& settings, bool register_sequences) {
  RegisteredMri out{load_mri_for_extraction(study, settings), {}};
  if (!register_sequences) return out;
  auto& mri = out.mri;
  if (mri.t2) {
    const auto r = modalities::mri::register_rigid(mri.dce[0], *mri.t2);
    mri.t2 = r.moved;
    out.metrics.emplace_back("t2_mattes_mi", r.final_metric);
  }
  if (!mri.adc && mri.dwi.size() >= 2) mri.adc = modalities::mri::fit_adc(mri.dwi, mri.dwi_b_values).adc;
  if (mri.adc) {
    const auto r = modalities::mri::register_rigid(mri.dce[0], *mri.adc);
    mri.adc = r.moved;
    out.metrics.emplace_back("adc_mattes_mi", r.final_metric);
  }
  return out;
}

MriMaps mri_maps(const modalities::LoadedMri& mri) {
  MriMaps maps{modalities::mri::compute_kinetics(mri.dce, mri.dce_times_s), std::nullopt};
  if (mri.adc) maps.adc = *mri.adc;
  else if (mri.dwi.size() >= 2) maps.adc = modalities::mri::fit_adc(mri.dwi, mri.dwi_b_values).adc;
  return maps;
}

}  // namespace

modalities::mri::CaseVoxels habitat_voxels(const std::string& case_id, const modalities::LoadedMri& mri, const CohortExtractionSettings& settings) {
  const MriMaps maps = mri_maps(mri);
  std::vector<const core::Image*> chosen;
  for (auto& name : settings.habitat_maps) chosen.push_back(maps.get(name, mri, case_id));
  core::Mask region = mri.mask;
  if (settings.habitat_ring_mm > 0) {
    const core::Mask ring = peritumoral_ring(mri.mask, settings.habitat_ring_mm);
    for (size_t v = 0; v < region.voxels.size(); ++v) region.voxels[v] = region.voxels[v] || ring.voxels[v];
  }
  return modalities::mri::case_voxels(case_id, chosen, region);
}

modalities::mri::CaseVoxels habitat_voxels(const datasets::Case& c, const CohortExtractionSettings& settings) {
  if (!c.mri) core::fail("case ", c.case_id, ": habitats need an MRI study");
  return habitat_voxels(c.case_id, load_registered(*c.mri, settings, settings.register_sequences).mri, settings);
}

CohortExtractionSettings read_cohort_extraction_settings(const fs::path& ini) {
  CohortExtractionSettings s;
  s.radiomics = read_settings(ini, {"regions", "mri", "habitats"});
  boost::property_tree::ptree tree;
  boost::property_tree::read_ini(ini.string(), tree);  // readable: read_settings parsed it
  auto flag = [&](const std::string& where, const std::string& value) {
    const std::string v = core::to_lower(core::trim(value));
    if (v != "true" && v != "false") core::fail(ini.string(), ": ", where, " = '", value, "' is not true or false");
    return v == "true";
  };
  if (auto mri = tree.get_child_optional("mri")) {
    for (const auto& entry : *mri) {
      const auto& key = entry.first;  // named, not a structured binding: lambdas below capture them
      const auto& node = entry.second;
      auto number = [&] {
        auto v = core::parse_double(node.data());
        if (!v || !std::isfinite(*v) || (!(*v > 0) && key != "injection_time_s"))
          core::fail(ini.string(), ": mri.", key, " = '", node.data(), "' is not a finite positive number");
        return *v;
      };
      if (key == "kinetics") s.kinetics = flag("mri.kinetics", node.data());
      else if (key == "tofts") s.tofts = flag("mri.tofts", node.data());
      else if (key == "register") s.register_sequences = flag("mri.register", node.data());
      else if (key == "extended") s.extended_tofts = flag("mri.extended", node.data());
      else if (key == "t10_s") s.acquisition.t10_s = number();
      else if (key == "tr_s") s.acquisition.tr_s = number();
      else if (key == "flip_angle_deg") s.acquisition.flip_angle_deg = number();
      else if (key == "relaxivity") s.acquisition.relaxivity = number();
      else if (key == "injection_time_s") s.acquisition.injection_time_s = number();
      else if (key == "sequences") {
        s.sequences.clear();
        for (const auto& part : core::split(node.data(), ','))
          if (const auto name = core::to_lower(core::trim(part)); !name.empty()) {
            if (name != "t2" && name != "adc") core::fail(ini.string(), ": mri.sequences has '", name, "'; known: t2, adc");
            s.sequences.push_back(name);
          }
      } else core::fail(ini.string(), ": unknown key 'mri.", key,
                      "'; known: kinetics, register, sequences, tofts, extended, t10_s, tr_s, flip_angle_deg, relaxivity, injection_time_s");
    }
  }
  if (auto habitats = tree.get_child_optional("habitats")) {
    for (const auto& entry : *habitats) {
      const auto& key = entry.first;
      const std::string value = core::trim(entry.second.data());
      auto integer = [&] {
        auto v = core::parse_int(value);
        if (!v || *v < 0 || *v > 1000000) core::fail(ini.string(), ": habitats.", key, " = '", value, "' is not a whole number from 0 to 1000000");
        return int(*v);
      };
      if (key == "enabled") s.habitats = flag("habitats.enabled", value);
      else if (key == "maps") {
        s.habitat_maps.clear();
        for (auto& m : core::split(value, ',')) s.habitat_maps.push_back(core::trim(m));
      } else if (key == "min") s.habitat_options.min_habitats = integer();
      else if (key == "max") s.habitat_options.max_habitats = integer();
      else if (key == "fixed") s.habitat_options.fixed_habitats = integer();
      else if (key == "seed") s.habitat_options.seed = uint64_t(integer());
      else if (key == "ring_mm") {
        auto v = core::parse_double(value);
        if (!v || !(*v >= 0) || !std::isfinite(*v)) core::fail(ini.string(), ": habitats.ring_mm = '", value, "' is not a distance in mm");
        s.habitat_ring_mm = *v;
      }
      else if (key == "criterion") {
        if (value == "calinski_harabasz") s.habitat_options.criterion = modalities::mri::HabitatOptions::Criterion::kCalinskiHarabasz;
        else if (value == "silhouette") s.habitat_options.criterion = modalities::mri::HabitatOptions::Criterion::kSilhouette;
        else core::fail(ini.string(), ": habitats.criterion = '", value, "' is not calinski_harabasz or silhouette");
      } else {
        core::fail(ini.string(), ": unknown key 'habitats.", key, "'; known: enabled, maps, min, max, fixed, criterion, seed, ring_mm");
      }
    }
  }
  if (auto regions = tree.get_child_optional("regions")) {
    for (const auto& [key, node] : *regions) {
      if (key == "retest") {
        s.retest = core::to_lower(core::trim(node.data()));
        if (s.retest != "dilate" && s.retest != "erode" && s.retest != "reader2")
          core::fail(ini.string(), ": regions.retest = '", node.data(), "', expected reader2 (the manifest's mri_mask_reader2), dilate or erode");
        continue;
      }
      if (key != "rings_mm") core::fail(ini.string(), ": unknown key 'regions.", key, "'; known: regions.rings_mm, regions.retest");
      for (auto& item : core::split(node.data(), ',')) {
        auto r = core::parse_double(item);
        if (!r || !(*r > 0) || !std::isfinite(*r))
          core::fail(ini.string(), ": regions.rings_mm value '", core::trim(item), "' is not a finite positive distance in mm");
        s.rings_mm.push_back(*r);
      }
    }
  }
  return s;
}

// The cache keys (settings_text, modality_settings_text) name every setting that changes a block;
// a setting left out would serve stale features. These sizes stop the build when a field is added,
// until it is either added to a key or shown not to change the features (like `threads`, and the
// PyRadiomics-only settings the IBSI extractor refuses); then update the size.
static_assert(sizeof(ExtractionSettings) == 320 && sizeof(FilterSettings) == 72 && sizeof(DiscretisationSettings) == 32,
              "a radiomics setting was added: put it in settings_text() if it changes the features");
static_assert(sizeof(CohortExtractionSettings) == 536 && sizeof(modalities::mri::AcquisitionAssumptions) == 48,
              "a cohort extraction setting was added: put it in settings_text() or modality_settings_text()");

std::string settings_text(const CohortExtractionSettings& s) {
  const auto& d = s.radiomics.discretisation;
  std::string text = core::concat("engine=", kEngineVersion, ";label=", s.radiomics.label, ":", s.radiomics.segment, ";method=",
                                  static_cast<int>(d.method), ";bins=", d.bin_number, ";width=", core::format_double(d.bin_size), ";minimum=",
                                  core::format_double(d.bin_size_minimum), ";pyedges=", d.pyradiomics_edges, ";max_levels=", d.max_levels,
                                  ";families=");
  for (auto& f : s.radiomics.families) text += f + ",";
  text += ";resegment=" + s.radiomics.resegment_mode + ":";
  for (double r : s.radiomics.resegment_range) text += core::format_double(r) + ",";
  const auto& f = s.radiomics.filters;
  text += core::concat(";filters=", f.original, f.square, f.square_root, f.logarithm, f.exponential, f.gradient, ":",
                       f.wavelet, ":");
  for (double sigma : f.log_sigma_mm) text += core::format_double(sigma) + ",";
  text += core::concat(";resample=", s.radiomics.bspline, ":");
  for (double v : s.radiomics.resampled_spacing) text += core::format_double(v) + ",";
  text += ";rings=";
  for (double r : s.rings_mm) text += core::format_double(r) + ",";
  text += core::concat(";register=", s.register_sequences);  // registration changes T2 and ADC
  return text;  // habitat blocks add the content of their label map to their own keys
}

CohortExtractionResult extract_cohort(const datasets::Cohort& cohort, const CohortExtractionSettings& settings,
                                      const fs::path& out, const std::function<void(size_t, size_t)>& progress) {
  const fs::path cache = out / "cache";
  const core::FolderLock lock(out, "vbiopsy extract");  // one extraction per folder and cache at a time
  core::remove_stale_temporaries(out);
  fs::create_directories(cache);
  modalities::prepare_itk_for_threads();
  const std::string settings_key = settings_text(settings);
  // The loaders reduce every mask to its region of setting.label (0/1): the engine takes it whole.
  ExtractionSettings region_settings = settings.radiomics;
  region_settings.label = kAnyLabel;
  const std::string modality_key = settings_key + ";" + modality_settings_text(settings);
  const size_t n = cohort.cases.size();
  std::vector<std::vector<Block>> blocks(n);
  std::vector<std::vector<datasets::Problem>> failures(n);
  std::mutex progress_mutex;
  size_t done = 0, computed = 0, cached = 0;

  // Habitats: every MRI case's voxel features first, one cohort model, then each case's label map
  // is written before the radiomics pass below uses it.
  std::vector<std::optional<core::Mask>> habitat_labels(n);
  // Registration runs once per case: in the habitat pass when there is one (whose maps need it).
  std::vector<std::optional<std::vector<std::pair<std::string, double>>>> registration_metrics(n);
  int habitat_count = 0;
  std::vector<std::vector<std::string>> warnings(n);  // per case, kept in order of first appearance
  if (settings.habitats) {
    std::vector<std::optional<modalities::mri::CaseVoxels>> voxels(n);
    std::vector<std::optional<core::Image>> dce1(n);
    core::parallel_for(n, settings.threads, [&](size_t i) {
      const auto& c = cohort.cases[i];
      if (!c.mri) return;
      core::WarningCollector case_warnings;
      try {
        const auto registered = load_registered(*c.mri, settings, settings.register_sequences);
        const auto& mri = registered.mri;
        if (settings.register_sequences) registration_metrics[i] = registered.metrics;
        voxels[i] = habitat_voxels(c.case_id, mri, settings);
        dce1[i] = mri.dce[1];
      } catch (const core::Error& e) {
        failures[i].push_back({c.case_id, "MRI habitats", e.what()});
      }
      warnings[i] = case_warnings.messages();
    });
    std::vector<modalities::mri::CaseVoxels> all;
    for (auto& v : voxels)
      if (v) all.push_back(*v);
    if (!all.empty()) {
      const auto model = modalities::mri::fit_habitat_model(all, settings.habitat_options, settings.threads);
      habitat_count = model.habitats();
      std::string record = core::csv_line({"habitats", "k_tried", "criterion", "training_cases"});
      for (size_t k = 0; k < model.criterion_values.size(); ++k)
        record += core::csv_line({std::to_string(habitat_count),
                                  std::to_string((settings.habitat_options.fixed_habitats > 0 ? settings.habitat_options.fixed_habitats
                                                                                              : settings.habitat_options.min_habitats) + int(k)),
                                  core::format_double(model.criterion_values[k]), std::to_string(all.size())});
      core::write_file_atomic(out / "habitat_model.csv", record);
      core::parallel_for(n, settings.threads, [&](size_t i) {
        if (!voxels[i]) return;
        const std::string& id = cohort.cases[i].case_id;
        habitat_labels[i] = modalities::mri::apply_habitat_model(model, *voxels[i], settings.habitat_options);
        modalities::write_mask(*habitat_labels[i], out / id / "mri" / "habitats.nii.gz");
        modalities::mri::write_habitat_overlay(*dce1[i], *habitat_labels[i], habitat_count, out / id / "mri" / "habitats_overlay.png");
      });
    }
  }

  core::parallel_for(n, settings.threads, [&](size_t i) {
    const auto& c = cohort.cases[i];
    core::WarningCollector case_warnings;
    for (const auto& w : warnings[i]) case_warnings.add(w);  // from the habitat pass
    auto run_jobs = [&](std::vector<Job> jobs) {
      // The second segmentation of every block but the habitats' (fitted on the cohort): the
      // second reader's, or the perturbed first one.
      const size_t originals = jobs.size();
      for (size_t j = 0; j < originals && !settings.retest.empty(); ++j) {
        if (jobs[j].name.rfind("mri_dce1_habitat", 0) == 0) continue;
        auto sources = jobs[j].sources;
        core::Mask region;
        if (settings.retest == "reader2") {
          if (!jobs[j].reader2) continue;  // no second reader for this region
          region = *jobs[j].reader2;
          sources.push_back(*jobs[j].reader2_source);
        } else {
          region = perturbed_segmentation(jobs[j].mask, settings.retest);
        }
        if (std::find(region.voxels.begin(), region.voxels.end(), 1) == region.voxels.end()) continue;  // eroded away
        jobs.push_back({"retest_" + jobs[j].name, jobs[j].image, std::move(region), std::move(sources), jobs[j].region + ":" + settings.retest,
                        std::nullopt, std::nullopt});
      }
      for (auto& job : jobs) {
        core::Sha256 key;
        key.add(settings_key);
        key.add(job.name);
        key.add(job.region);
        for (auto& source : job.sources) key.add_path(source);
        const fs::path entry = cache / (key.hex() + ".csv");
        Block block{job.name, {}};
        if (fs::exists(entry)) {
          block.values = read_cached(entry);
          std::lock_guard lock(progress_mutex);
          ++cached;
        } else {
          FeatureList features;
          try {
            features = extract_features(*job.image, job.mask, region_settings);
          } catch (const core::Error& e) {
            std::vector<std::string> files;
            for (const auto& source : job.sources) files.push_back(source.string());
            core::fail("block ", job.name, " (", core::join(files, ", "), "): ", e.what());
          }
          std::string csv = core::csv_line({"name", "value"});
          for (auto& f : features) {
            block.values.emplace_back(column_name(f), f.value);
            csv += core::csv_line({column_name(f), core::format_double(f.value)});
          }
          core::write_file_atomic(entry, csv);
          std::lock_guard lock(progress_mutex);
          ++computed;
        }
        blocks[i].push_back(std::move(block));
      }
    };
    // Every block of the case's modality is also cached as a whole, keyed by the content of all its
    // input files, the manifest's values for it and the settings: a rerun (or another run of the
    // same settings) then loads no image, builds no ring and fits no model. `inputs` names them.
    auto attempt = [&](const char* modality, const std::string& inputs, const std::vector<fs::path>& files, auto&& body) {
      try {
        core::Sha256 key;
        key.add(modality_key);
        key.add(modality);
        key.add(inputs);
        for (const auto& file : files) key.add_path(file);
        const fs::path entry = cache / (key.hex() + ".case.csv");
        if (fs::exists(entry)) {
          auto read = read_modality_blocks(entry);
          std::lock_guard lock(progress_mutex);
          for (auto& b : read) {
            cached += !is_summary_block(b.name);
            blocks[i].push_back(std::move(b));
          }
          return;
        }
        const size_t before = blocks[i].size();
        body();
        write_modality_blocks(entry, std::vector<Block>(blocks[i].begin() + static_cast<std::ptrdiff_t>(before), blocks[i].end()));
      } catch (const core::Error& e) {
        failures[i].push_back({c.case_id, modality, e.what()});
      }
    };
    auto list = [](const auto& values) {
      std::string text;
      for (const auto& v : values) text += core::concat(v, ";");
      return text;
    };
    std::vector<fs::path> mri_files;
    std::string mri_inputs;
    if (c.mri) {
      const auto& m = *c.mri;
      mri_inputs = core::concat("dce=", m.dce.size(), ";times=", list(m.dce_times_s), "t2=", m.t2.has_value(), ";dwi=", m.dwi.size(),
                                ";b=", list(m.dwi_b_values), "adc=", m.adc.has_value(), ";reader2=", m.mask_reader2.has_value(),
                                ";habitats=", habitat_labels[i] ? habitat_count : 0, ";registration=");
      if (registration_metrics[i])
        for (const auto& [name, value] : *registration_metrics[i]) mri_inputs += name + "=" + core::format_double(value) + ",";
      mri_files = m.dce;
      for (const auto& file : {m.t2, m.adc, std::optional(m.mask), m.mask_reader2})
        if (file) mri_files.push_back(*file);
      mri_files.insert(mri_files.end(), m.dwi.begin(), m.dwi.end());
      if (habitat_labels[i]) mri_files.push_back(out / c.case_id / "mri" / "habitats.nii.gz");
    }
    if (c.mri) attempt("MRI", mri_inputs, mri_files, [&] {
      // The radiomics below use the DCE only, which registration leaves untouched.
      const bool register_now = settings.register_sequences && !registration_metrics[i];
      const auto registered = load_registered(*c.mri, settings, register_now);
      const auto& mri = registered.mri;
      if (settings.register_sequences) {
        Block registration{"mri_registration", {}};
        for (auto& [name, value] : register_now ? registered.metrics : *registration_metrics[i])
          registration.values.emplace_back(name, value);
        blocks[i].push_back(std::move(registration));
      }
      std::vector<fs::path> sources = c.mri->dce.size() == 1 ? c.mri->dce : std::vector<fs::path>{c.mri->dce[1]};
      sources.push_back(c.mri->mask);
      // The second reader's version of a region: the tumour, or a ring (width_mm > 0) around it.
      auto reader2 = [&](double width_mm) -> std::optional<core::Mask> {
        if (settings.retest != "reader2" || !mri.mask_reader2) return std::nullopt;
        return width_mm > 0 ? peritumoral_ring(*mri.mask_reader2, width_mm) : *mri.mask_reader2;
      };
      const auto reader2_source = c.mri->mask_reader2;
      std::vector<Job> jobs{{"mri_dce1_tumour", &mri.dce[1], mri.mask, sources, "tumour", reader2(0), reader2_source}};
      for (double r : settings.rings_mm)
        jobs.push_back({core::concat("mri_dce1_ring", core::format_double(r), "mm"), &mri.dce[1],
                        peritumoral_ring(mri.mask, r), sources, core::concat("ring", r), reader2(r), reader2_source});
      // T2 and ADC radiomics (tumour and rings) on the DCE grid, where the case has them.
      std::optional<core::Image> adc;
      for (const auto& sequence : settings.sequences) {
        const core::Image* image = nullptr;
        std::vector<fs::path> sequence_sources{c.mri->mask};
        if (sequence == "t2" && mri.t2) {
          image = &*mri.t2;
          sequence_sources.push_back(*c.mri->t2);
        } else if (sequence == "adc") {
          if (mri.adc) adc = *mri.adc;
          else if (mri.dwi.size() >= 2) adc = modalities::mri::fit_adc(mri.dwi, mri.dwi_b_values).adc;
          if (adc) image = &*adc;
          if (c.mri->adc) sequence_sources.push_back(*c.mri->adc);
          for (const auto& dwi : c.mri->dwi) sequence_sources.push_back(dwi);
        }
        if (!image) continue;
        // A fitted ADC is undefined where a signal is not positive: those voxels leave the region.
        auto finite = [&](core::Mask region) {
          for (size_t v = 0; v < region.voxels.size(); ++v) region.voxels[v] = region.voxels[v] && std::isfinite(image->voxels[v]);
          return region;
        };
        auto add = [&](std::string name, core::Mask region, std::string label, std::optional<core::Mask> second) {
          region = finite(std::move(region));
          if (second) second = finite(std::move(*second));
          if (std::find(region.voxels.begin(), region.voxels.end(), 1) != region.voxels.end())
            jobs.push_back({std::move(name), image, std::move(region), sequence_sources, std::move(label), std::move(second), reader2_source});
        };
        add("mri_" + sequence + "_tumour", mri.mask, "tumour", reader2(0));
        for (double r : settings.rings_mm)
          add(core::concat("mri_", sequence, "_ring", core::format_double(r), "mm"), peritumoral_ring(mri.mask, r), core::concat("ring", r),
              reader2(r));
      }
      if (habitat_labels[i]) {
        Block fractions{"mri_habitats", {}};
        const auto f = modalities::mri::habitat_fractions(*habitat_labels[i], habitat_count);
        auto habitat_sources = sources;
        habitat_sources.push_back(out / c.case_id / "mri" / "habitats.nii.gz");
        for (int h = 1; h <= habitat_count; ++h) {
          fractions.values.emplace_back(core::concat("habitat_", h, "_fraction"), f[size_t(h - 1)]);
          core::Mask region(habitat_labels[i]->geometry);
          size_t count = 0;
          for (size_t v = 0; v < region.voxels.size(); ++v) count += region.voxels[v] = habitat_labels[i]->voxels[v] == h;
          if (count > 0)
            jobs.push_back({core::concat("mri_dce1_habitat", h), &mri.dce[1], std::move(region), habitat_sources, core::concat("habitat", h),
                            std::nullopt, std::nullopt});
        }
        blocks[i].push_back(std::move(fractions));
      }
      if (settings.tofts) {
        // TR and flip angle from the DCE DICOM where present, else from the settings.
        auto acquisition = settings.acquisition;
        if (mri.repetition_time_s) acquisition.tr_s = *mri.repetition_time_s;
        if (mri.flip_angle_deg) acquisition.flip_angle_deg = *mri.flip_angle_deg;
        const auto maps = modalities::mri::fit_tofts_maps(mri.dce, mri.dce_times_s, mri.mask, acquisition,
                                                          settings.extended_tofts);
        Block tofts{"mri_tofts", {}};
        for (auto [name, map] : {std::pair{"ktrans", &maps.ktrans}, std::pair{"kep", &maps.kep}, std::pair{"ve", &maps.ve},
                                 std::pair{"vp", &maps.vp}}) {
          double sum = 0;
          for (size_t v = 0; v < map->voxels.size(); ++v)
            if (mri.mask.voxels[v] && !maps.failed.voxels[v]) sum += map->voxels[v];
          tofts.values.emplace_back(std::string(name) + "_mean", maps.fitted_voxels ? sum / double(maps.fitted_voxels) : NAN);
        }
        tofts.values.emplace_back("failed_fraction",
                                  double(maps.failed_voxels) / double(std::max<size_t>(1, maps.failed_voxels + maps.fitted_voxels)));
        blocks[i].push_back(std::move(tofts));
      }
      if (settings.kinetics) {
        Block kinetics{"mri_kinetics", {}};
        for (auto& [name, value] : modalities::mri::summarise(modalities::mri::compute_kinetics(mri.dce, mri.dce_times_s), mri.mask).values)
          kinetics.values.emplace_back(name, value);
        blocks[i].push_back(std::move(kinetics));
      }
      run_jobs(std::move(jobs));
    });
    std::vector<fs::path> mg_files;
    std::string mg_inputs;
    if (c.mammography)
      for (const auto& view : c.mammography->views) {
        mg_inputs += core::concat(view.view, ":mask=", view.mask.has_value(), ":box=",
                                  view.box ? core::concat(view.box->x, ",", view.box->y, ",", view.box->width, ",", view.box->height) : "-", ";");
        mg_files.push_back(view.image);
        if (view.mask) mg_files.push_back(*view.mask);
      }
    if (c.mammography) attempt("mammography", mg_inputs, mg_files, [&] {
      const auto views = load_mammography_for_extraction(*c.mammography, settings);
      std::vector<Job> jobs;
      for (size_t v = 0; v < views.size(); ++v) {
        const auto& view = c.mammography->views[v];
        std::vector<fs::path> sources{view.image};
        if (view.mask) sources.push_back(*view.mask);
        jobs.push_back({"mg_" + core::to_lower(views[v].view) + "_tumour", &views[v].image, views[v].mask, sources,
                        view.box ? core::concat("box", view.box->x, ",", view.box->y, ",", view.box->width, ",", view.box->height)
                                 : "tumour",
                        std::nullopt, std::nullopt});
      }
      run_jobs(std::move(jobs));
    });
    if (c.ultrasound) attempt("ultrasound", core::concat("frames=", c.ultrasound->frames.size(), ";masks=", c.ultrasound->masks.size()),
                              c.ultrasound->frames.empty() || c.ultrasound->masks.empty()
                                  ? std::vector<fs::path>{}
                                  : std::vector<fs::path>{c.ultrasound->frames[0], c.ultrasound->masks[0]},
                              [&] {
      const auto us = load_ultrasound_for_extraction(*c.ultrasound, settings);
      run_jobs({{"us_tumour", &us.frames[0], us.masks[0], {c.ultrasound->frames[0], c.ultrasound->masks[0]}, "frame1", std::nullopt, std::nullopt}});
    });
    warnings[i] = case_warnings.messages();
    if (progress) {
      std::lock_guard lock(progress_mutex);
      progress(++done, n);
    }
  });

  // Columns: fixed block order, each block's features in extractor order.
  std::vector<std::string> block_order;
  for (const char* fixed : {"mri_dce1_tumour"}) block_order.push_back(fixed);
  for (double r : settings.rings_mm) block_order.push_back(core::concat("mri_dce1_ring", core::format_double(r), "mm"));
  for (const auto& sequence : settings.sequences) {
    block_order.push_back("mri_" + sequence + "_tumour");
    for (double r : settings.rings_mm) block_order.push_back(core::concat("mri_", sequence, "_ring", core::format_double(r), "mm"));
  }
  if (settings.register_sequences) block_order.push_back("mri_registration");
  if (settings.kinetics) block_order.push_back("mri_kinetics");
  if (settings.tofts) block_order.push_back("mri_tofts");
  if (habitat_count > 0) block_order.push_back("mri_habitats");
  for (int h = 1; h <= habitat_count; ++h) block_order.push_back(core::concat("mri_dce1_habitat", h));
  for (const char* fixed : {"mg_cc_tumour", "mg_mlo_tumour", "us_tumour"}) block_order.push_back(fixed);
  if (!settings.retest.empty())  // blocks without a retest (kinetics, habitats) add no columns
    for (size_t b = 0, count = block_order.size(); b < count; ++b) block_order.push_back("retest_" + block_order[b]);
  std::map<std::string, std::vector<std::string>> names_of_block;
  for (auto& case_blocks : blocks)
    for (auto& b : case_blocks)
      if (!names_of_block.count(b.name))
        for (auto& [name, value] : b.values) names_of_block[b.name].push_back(name);
  std::vector<std::string> header{"case_id", "has_mri", "has_mg", "has_us"};
  for (auto& b : block_order)
    for (auto& name : names_of_block[b]) header.push_back(b + "_" + name);
  std::string csv = core::csv_line(header);
  for (size_t i = 0; i < n; ++i) {
    const auto& c = cohort.cases[i];
    std::map<std::string, std::string> cells;
    for (auto& b : blocks[i])
      for (auto& [name, value] : b.values) cells[b.name + "_" + name] = core::format_double(value);
    std::vector<std::string> row{c.case_id, c.mri ? "1" : "0", c.mammography ? "1" : "0", c.ultrasound ? "1" : "0"};
    for (size_t k = 4; k < header.size(); ++k) row.push_back(cells[header[k]]);
    csv += core::csv_line(row);
  }
  core::write_file_atomic(out / "features.csv", csv);

  CohortExtractionResult result;
  result.cases = n;
  result.computed = computed;
  result.from_cache = cached;
  for (auto& f : failures) result.failures.insert(result.failures.end(), f.begin(), f.end());
  for (size_t i = 0; i < n; ++i)
    for (const auto& w : warnings[i]) result.warnings.emplace_back(cohort.cases[i].case_id, w);
  return result;
}

}  // namespace vbiopsy::encoders::radiomics
