// Per-case time of the MRI pipeline (DCE kinetics, T2 resampling onto the DCE grid, ADC, habitats,
// per-habitat radiomics), single-threaded:
//   build/bin/mri_benchmark [--benchmark_repetitions=3]
// on a synthetic case (40x40x16, 6-7 phases) and on a 256x256x100 DCE volume with 6 phases.
#include <benchmark/benchmark.h>

#include <cmath>

#include "core/random.h"
#include "datasets/synth.h"
#include "encoders/radiomics/extractor.h"
#include "modalities/mri/habitats.h"
#include "modalities/mri/kinetics.h"
#include "modalities/mri/resampling.h"

namespace {
using namespace vbiopsy;
namespace mri = modalities::mri;

struct Study {
  std::vector<core::Image> dce;
  std::vector<double> times;
  core::Image t2;  // on a grid of its own
  std::vector<core::Image> dwi;
  std::vector<double> b;
  core::Mask tumour;
};

Study synthetic_case(size_t index) {
  datasets::SynthOptions o;
  o.missing_mri = 0;
  auto sc = datasets::generate_case(o, index);
  core::Image t2 = sc.t2;
  t2.geometry.origin[0] += 0.37;  // a different grid, so resampling does work
  return {sc.dce, sc.dce_times_s, t2, sc.dwi, sc.dwi_b_values, sc.tumour};
}

// 256 x 256 x 100 with a 60-voxel-wide tumour made of an enhancing rim, a wash-out sector and a core.
Study large_case() {
  core::Geometry g;
  g.size = {256, 256, 100};
  g.spacing = {0.7, 0.7, 1.5};
  Study s;
  s.times = {0, 60, 120, 180, 240, 300};
  s.tumour = core::Mask(g);
  std::vector<uint8_t> habitat(g.voxel_count(), 0);
  for (size_t z = 0; z < 100; ++z)
    for (size_t y = 0; y < 256; ++y)
      for (size_t x = 0; x < 256; ++x) {
        const double dx = (double(x) - 128) * 0.7, dy = (double(y) - 128) * 0.7, dz = (double(z) - 50) * 1.5;
        const double r = std::sqrt(dx * dx + dy * dy + dz * dz);
        if (r < 21) {
          const size_t i = s.tumour.offset(x, y, z);
          s.tumour.voxels[i] = 1;
          habitat[i] = r < 12 ? 3 : (dx > 5 ? 2 : 1);
        }
      }
  core::Rng rng(7);
  for (double t : s.times) {
    core::Image phase(g);
    for (size_t i = 0; i < phase.voxels.size(); ++i) {
      const int h = habitat[i];
      const double e = h == 1   ? 1.1 * (1 - std::exp(-t / 70))
                       : h == 2 ? 1.6 * (1 - std::exp(-t / 35)) * (1 - 0.0012 * t)
                       : h == 3 ? 0.35 * t / 300
                                : 0.1 * t / 300;
      phase.voxels[i] = float(400 * (1 + e) + rng.normal(0, 8));
    }
    s.dce.push_back(std::move(phase));
  }
  s.t2 = s.dce[0];
  s.t2.geometry.origin[1] += 0.2;
  s.b = {0, 800};
  for (double b : s.b) {
    core::Image dwi(g);
    for (size_t i = 0; i < dwi.voxels.size(); ++i) {
      const double adc = habitat[i] == 3 ? 1.7e-3 : (habitat[i] ? 0.9e-3 : 1.6e-3);
      dwi.voxels[i] = float(500 * std::exp(-b * adc) + rng.normal(0, 5));
    }
    s.dwi.push_back(std::move(dwi));
  }
  return s;
}

void pipeline(benchmark::State& state, const Study& study, const mri::HabitatModel& model) {
  mri::HabitatOptions options;
  encoders::radiomics::ExtractionSettings radiomics;
  radiomics.discretisation.method = encoders::radiomics::Discretisation::kFixedBinNumber;
  radiomics.discretisation.bin_number = 32;
  radiomics.families = {"stats", "glcm", "glrlm", "glszm", "ngtdm"};
  for (auto _ : state) {
    const auto kinetics = mri::compute_kinetics(study.dce, study.times);
    const auto t2 = mri::resample_to_grid(study.t2, study.dce[0].geometry);
    const auto adc = mri::fit_adc(study.dwi, study.b);
    const auto voxels =
        mri::case_voxels("case", {&kinetics.wash_in, &kinetics.wash_out, &kinetics.ser, &adc.adc}, study.tumour);
    const auto labels = mri::apply_habitat_model(model, voxels, options);
    size_t features = 0;
    for (int h = 1; h <= model.habitats(); ++h) {
      core::Mask region(labels.geometry);
      size_t n = 0;
      for (size_t v = 0; v < region.voxels.size(); ++v) n += region.voxels[v] = labels.voxels[v] == h;
      if (n) features += encoders::radiomics::extract_features(study.dce[1], region, radiomics).size();
    }
    benchmark::DoNotOptimize(features);
    benchmark::DoNotOptimize(t2.voxels.data());
  }
}

mri::HabitatModel model_from(const std::vector<Study>& studies) {
  std::vector<mri::CaseVoxels> training;
  for (size_t i = 0; i < studies.size(); ++i) {
    const auto k = mri::compute_kinetics(studies[i].dce, studies[i].times);
    const auto adc = mri::fit_adc(studies[i].dwi, studies[i].b);
    training.push_back(
        mri::case_voxels("c" + std::to_string(i), {&k.wash_in, &k.wash_out, &k.ser, &adc.adc}, studies[i].tumour));
  }
  return mri::fit_habitat_model(training, {});
}

void BM_SyntheticCase(benchmark::State& state) {
  std::vector<Study> training;
  for (size_t i = 0; i < 8; ++i) training.push_back(synthetic_case(i));
  pipeline(state, synthetic_case(8), model_from(training));
}

void BM_Dce256x256x100SixPhases(benchmark::State& state) {
  const Study study = large_case();
  pipeline(state, study, model_from({study}));
}

BENCHMARK(BM_SyntheticCase)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dce256x256x100SixPhases)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
