#pragma once
// A small labelled cohort as the files `vbiopsy run` reads, shared by the experiment tests.
#include <functional>
#include <sstream>
#include <string>
#include <unistd.h>

#include "core/error.h"
#include "core/files.h"
#include "core/random.h"
#include "modalities/synthetic_cohort.h"

namespace vbiopsy::experiments {

namespace fs = std::filesystem;

// The message of the core::Error that f throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.what();
  }
  return "";
}

// A small cohort written as the files `vbiopsy run` reads: a manifest with IHC scores and clinical
// values, and a features.csv as `vbiopsy extract` writes it. Each imaging modality carries a weak,
// independent view of the class (so fusing them helps); `noise` extra columns carry nothing.
struct SmallCohort {
  fs::path dir;
  explicit SmallCohort(const std::string& name, int cases, uint64_t seed, int noise = 4) {
    dir = fs::temp_directory_path() / ("vbiopsy_run_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    core::Rng rng(seed);
    std::ostringstream manifest, features;
    manifest << "case_id,patient_id,site,ihc,ki67_percent,age\n";
    features << "case_id,has_mri,has_mg,has_us";
    for (const char* m : {"mri", "mg", "us"}) {
      features << "," << m << "_signal";
      for (int j = 0; j < noise; ++j) features << "," << m << "_noise" << j;
    }
    features << "\n";
    const char* ihc[] = {"0", "1+", "3+"};
    for (int i = 0; i < cases; ++i) {
      const int y = i % 3;
      const std::string id = "C" + std::to_string(1000 + i);
      manifest << id << ",P" << (i / 2) * 2 + y << ",SITE" << i % 2 << "," << ihc[y] << ","
               << std::max(0.0, 10 + 5 * y + 8 * rng.normal()) << "," << 55 + 10 * rng.normal() << "\n";
      features << id;
      const bool mri = rng.bernoulli(0.9), mg = rng.bernoulli(0.9), us = rng.bernoulli(0.9);
      features << "," << mri << "," << mg << "," << us;
      for (bool present : {mri, mg, us}) {
        features << "," << (present ? std::to_string(y * 0.8 + rng.normal()) : "");
        for (int j = 0; j < noise; ++j) features << "," << (present ? std::to_string(rng.normal()) : "");
      }
      features << "\n";
    }
    core::write_file_atomic(dir / "manifest.csv", manifest.str());
    core::write_file_atomic(dir / "features.csv", features.str());
  }
  ~SmallCohort() { fs::remove_all(dir); }

  fs::path config(const std::string& experiment_lines) const {
    const auto path = dir / "experiment.ini";
    core::write_file_atomic(path,
                            "[cohort]\nmanifest = manifest.csv\nfeatures = features.csv\n[experiment]\nfolds = 3\nseed "
                            "= 5\nbootstrap = 200\n" +
                                experiment_lines +
                                "\n[training]\nepochs = 15\nlearning_rate = 0.01\nvalidation_fraction = 0\n"
                                "[encoder.mri]\nembedding = 8\nhidden = 16\n[encoder.mg]\nembedding = 8\nhidden = "
                                "16\n[encoder.us]\nembedding = 8\nhidden = 16\n");
    return path;
  }
};

// A temporary folder holding a synthetic paired cohort in dir/cohort (manifest, images, truth/),
// removed when the test ends.
struct SyntheticCohortDir {
  fs::path dir;
  SyntheticCohortDir(const std::string& name, size_t cases, uint64_t seed) {
    dir = fs::temp_directory_path() / ("vbiopsy_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(dir);
    modalities::SynthWriteOptions synth;
    synth.synth.cases = cases;
    synth.synth.seed = seed;
    modalities::write_synthetic_cohort(synth, dir / "cohort");
  }
  ~SyntheticCohortDir() { fs::remove_all(dir); }
};

}  // namespace vbiopsy::experiments
