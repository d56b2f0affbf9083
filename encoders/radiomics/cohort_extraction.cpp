#include "encoders/radiomics/cohort_extraction.h"

#include <map>
#include <mutex>

#include "core/csv.h"
#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/parallel.h"
#include "core/strings.h"
#include "encoders/radiomics/regions.h"
#include "encoders/radiomics/settings.h"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include "modalities/case_loader.h"
#include "modalities/image_io.h"

namespace vbiopsy::encoders::radiomics {
namespace fs = std::filesystem;

namespace {

// Bump when feature definitions change, so that old cache entries are not reused.
constexpr const char* kEngineVersion = "vbiopsy-radiomics-2";

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

}  // namespace

CohortExtractionSettings read_cohort_extraction_settings(const fs::path& ini) {
  CohortExtractionSettings s;
  s.radiomics = read_settings(ini, {"regions"});
  boost::property_tree::ptree tree;
  boost::property_tree::read_ini(ini.string(), tree);  // readable: read_settings parsed it
  if (auto regions = tree.get_child_optional("regions")) {
    for (const auto& [key, node] : *regions) {
      if (key != "rings_mm") core::fail(ini.string(), ": unknown key 'regions.", key, "'; known: regions.rings_mm");
      for (auto& item : core::split(node.data(), ',')) {
        auto r = core::parse_double(item);
        if (!r || *r <= 0) core::fail(ini.string(), ": regions.rings_mm value '", core::trim(item), "' is not a positive distance in mm");
        s.rings_mm.push_back(*r);
      }
    }
  }
  return s;
}

std::string settings_text(const CohortExtractionSettings& s) {
  const auto& d = s.radiomics.discretisation;
  std::string text = core::concat("engine=", kEngineVersion, ";label=", s.radiomics.label, ";method=",
                                  static_cast<int>(d.method), ";bins=", d.bin_number, ";width=",
                                  core::format_double(d.bin_size), ";pyedges=", d.pyradiomics_edges, ";families=");
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
  return text;
}

CohortExtractionResult extract_cohort(const datasets::Cohort& cohort, const CohortExtractionSettings& settings,
                                      const fs::path& out, const std::function<void(size_t, size_t)>& progress) {
  const fs::path cache = out / "cache";
  fs::create_directories(cache);
  const std::string settings_key = settings_text(settings);
  const size_t n = cohort.cases.size();
  std::vector<std::vector<Block>> blocks(n);
  std::vector<std::vector<datasets::Problem>> failures(n);
  std::mutex progress_mutex;
  size_t done = 0, computed = 0, cached = 0;

  core::parallel_for(n, settings.threads, [&](size_t i) {
    const auto& c = cohort.cases[i];
    auto run_jobs = [&](std::vector<Job> jobs) {
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
          const auto features = extract_features(*job.image, job.mask, settings.radiomics);
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
    auto attempt = [&](const char* modality, auto&& body) {
      try {
        body();
      } catch (const core::Error& e) {
        failures[i].push_back({c.case_id, modality, e.what()});
      }
    };
    if (c.mri) attempt("MRI", [&] {
      const auto mri = modalities::load_mri(*c.mri);
      std::vector<fs::path> sources = c.mri->dce.size() == 1 ? c.mri->dce : std::vector<fs::path>{c.mri->dce[1]};
      sources.push_back(c.mri->mask);
      std::vector<Job> jobs{{"mri_dce1_tumour", &mri.dce[1], mri.mask, sources, "tumour"}};
      for (double r : settings.rings_mm)
        jobs.push_back({core::concat("mri_dce1_ring", core::format_double(r), "mm"), &mri.dce[1],
                        peritumoral_ring(mri.mask, r), sources, core::concat("ring", r)});
      run_jobs(std::move(jobs));
    });
    if (c.mammography) attempt("mammography", [&] {
      const auto views = modalities::load_mammography(*c.mammography);
      std::vector<Job> jobs;
      for (size_t v = 0; v < views.size(); ++v) {
        const auto& view = c.mammography->views[v];
        std::vector<fs::path> sources{view.image};
        if (view.mask) sources.push_back(*view.mask);
        jobs.push_back({"mg_" + core::to_lower(views[v].view) + "_tumour", &views[v].image, views[v].mask, sources,
                        view.box ? core::concat("box", view.box->x, ",", view.box->y, ",", view.box->width, ",", view.box->height)
                                 : "tumour"});
      }
      run_jobs(std::move(jobs));
    });
    if (c.ultrasound) attempt("ultrasound", [&] {
      const auto us = modalities::load_ultrasound(*c.ultrasound);
      run_jobs({{"us_tumour", &us.frames[0], us.masks[0], {c.ultrasound->frames[0], c.ultrasound->masks[0]}, "frame1"}});
    });
    if (progress) {
      std::lock_guard lock(progress_mutex);
      progress(++done, n);
    }
  });

  // Columns: fixed block order, each block's features in extractor order.
  std::vector<std::string> block_order;
  for (const char* fixed : {"mri_dce1_tumour"}) block_order.push_back(fixed);
  for (double r : settings.rings_mm) block_order.push_back(core::concat("mri_dce1_ring", core::format_double(r), "mm"));
  for (const char* fixed : {"mg_cc_tumour", "mg_mlo_tumour", "us_tumour"}) block_order.push_back(fixed);
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
  return result;
}

}  // namespace vbiopsy::encoders::radiomics
