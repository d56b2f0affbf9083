#include "datasets/synth.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/random.h"
#include "core/strings.h"

namespace vbiopsy::datasets {
namespace {

using core::Rng;
constexpr double kPi = 3.14159265358979323846;

double clamp(double v, double lo, double hi) { return std::min(hi, std::max(lo, v)); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Smooth random texture in [-1, 1]-ish: white noise blurred by repeated box filters.
std::vector<double> smooth_noise(size_t w, size_t h, size_t d, int radius, Rng& rng) {
  std::vector<double> field(w * h * d);
  for (auto& v : field) v = rng.normal();
  const size_t dims[3] = {w, h, d};
  const size_t strides[3] = {1, w, w * h};
  std::vector<double> line;
  for (int pass = 0; pass < 2; ++pass) {
    for (int axis = 0; axis < 3; ++axis) {
      const size_t n = dims[axis];
      if (n < 2) continue;
      const int r = std::min<int>(radius, static_cast<int>(n) - 1);
      line.resize(n);
      for (size_t start = 0; start < field.size(); ++start) {
        if ((start / strides[axis]) % n != 0) continue;  // first element of a line along axis
        for (size_t i = 0; i < n; ++i) line[i] = field[start + i * strides[axis]];
        for (size_t i = 0; i < n; ++i) {
          double sum = 0;
          for (int o = -r; o <= r; ++o) {
            long j = std::clamp<long>(static_cast<long>(i) + o, 0, static_cast<long>(n) - 1);
            sum += line[static_cast<size_t>(j)];
          }
          field[start + i * strides[axis]] = sum / (2 * r + 1);
        }
      }
    }
  }
  double sd = 0;
  for (double v : field) sd += v * v;
  sd = std::sqrt(sd / static_cast<double>(field.size())) + 1e-12;
  for (auto& v : field) v /= sd;
  return field;
}

std::array<double, 3> random_direction(Rng& rng) {
  std::array<double, 3> u{rng.normal(), rng.normal(), rng.normal()};
  double n = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]) + 1e-12;
  return {u[0] / n, u[1] / n, u[2] / n};
}

Her2Label plant_label(Her2Class c, double indeterminate_rate, Rng& rng) {
  if (c != Her2Class::kZero && rng.bernoulli(indeterminate_rate))
    return derive_her2(IhcScore::kTwoPlus, IshResult::kNotDone);
  switch (c) {
    case Her2Class::kZero:
      return derive_her2(IhcScore::kZero, IshResult::kNotDone);
    case Her2Class::kLow:
      return rng.bernoulli(0.6) ? derive_her2(IhcScore::kOnePlus, IshResult::kNotDone)
                                : derive_her2(IhcScore::kTwoPlus, IshResult::kNotAmplified);
    case Her2Class::kPositive:
      return rng.bernoulli(0.7) ? derive_her2(IhcScore::kThreePlus, IshResult::kNotDone)
                                : derive_her2(IhcScore::kTwoPlus, IshResult::kAmplified);
  }
  return {};
}

ClinicalValues plant_clinical(Her2Class c, const SynthOptions& o, double size_mm, Rng& rng) {
  const int k = static_cast<int>(c);
  const double hr_rate[3] = {0.55, 0.85, 0.5};
  const double ki67_mean[3] = {22, 18, 34};
  const double grade3_rate[3] = {0.45, 0.3, 0.6};
  ClinicalValues v;
  const double e = o.effect_clinical;
  const bool er = rng.bernoulli(clamp(0.65 + (hr_rate[k] - 0.65) * e, 0.02, 0.98));
  v.er_percent =
      er ? std::round(rng.uniform(c == Her2Class::kLow ? 40 : 5, 95)) : std::round(rng.uniform(0, 0.9) * 10) / 10;
  const bool pr = er && rng.bernoulli(0.75);
  v.pr_percent = pr ? std::round(rng.uniform(5, 90)) : 0.0;
  v.er_positive = *v.er_percent >= 1;
  v.pr_positive = *v.pr_percent >= 1;
  v.ki67_percent = std::round(clamp(rng.normal(24 + (ki67_mean[k] - 24) * e, 9), 1, 95));
  v.age_years = std::round(clamp(rng.normal(54, 11), 25, 90));
  v.tumour_size_mm = std::round(size_mm * 10) / 10;
  const double u = rng.uniform();
  const double g3 = clamp(0.45 + (grade3_rate[k] - 0.45) * e, 0.05, 0.9);
  v.grade = u < g3 ? 3 : (u < g3 + (1 - g3) * 0.7 ? 2 : 1);
  auto drop = [&](auto& field) {
    if (rng.bernoulli(o.clinical_missing)) field.reset();
  };
  drop(v.er_percent);
  drop(v.pr_percent);
  drop(v.ki67_percent);
  drop(v.age_years);
  drop(v.tumour_size_mm);
  drop(v.grade);
  if (!v.er_percent && rng.bernoulli(0.5)) v.er_positive.reset();
  if (!v.pr_percent && rng.bernoulli(0.5)) v.pr_positive.reset();
  return v;
}

// Relative enhancement of each habitat at time t (s).
double enhancement(int habitat, double t, double amplitude) {
  switch (habitat) {
    case 1:
      return amplitude * (1 - std::exp(-t / 70.0));  // persistent rise
    case 2:
      return amplitude * (1 - std::exp(-t / 35.0)) * (1 - 0.0012 * t);  // early peak, wash-out
    case 3:
      return 0.35 * t / 300.0;  // poorly perfused core
    default:
      return 0;
  }
}

void generate_mri(SynthCase& sc, const SynthOptions& o, const SynthSite& site, Rng& rng) {
  const double s = sc.latent["mri"];
  core::Geometry g;
  g.size = {40, 40, 16};
  g.spacing = site.mri_spacing;
  for (int i = 0; i < 3; ++i) g.origin[i] = -0.5 * static_cast<double>(g.size[i]) * g.spacing[i] + rng.normal(0, 5);
  const double times_by_site[3][7] = {
      {0, 60, 120, 180, 240, 300, -1}, {0, 70, 140, 210, 280, 350, -1}, {0, 55, 110, 165, 220, 275, 330}};
  for (double t : times_by_site[sc.site % 3])
    if (t >= 0) sc.dce_times_s.push_back(t);

  const double radius = clamp(rng.normal(8.5, 1.5), 5.5, 11.5);  // mm
  std::array<double, 3> centre;
  for (int i = 0; i < 3; ++i) centre[i] = g.index_to_physical(19.5, 19.5, 7.5)[i] + rng.normal(0, 1.5);
  std::array<std::array<double, 3>, 4> lobes;
  std::array<double, 4> lobe_weight;
  for (int q = 0; q < 4; ++q) {
    lobes[q] = random_direction(rng);
    lobe_weight[q] = rng.uniform(0.1, 0.55);
  }
  const auto washout_dir = random_direction(rng);
  const double washout_threshold = clamp(0.25 - 0.45 * s + rng.normal(0, 0.15), -0.9, 0.95);
  const double core_fraction = clamp(0.6 + rng.normal(0, 0.06), 0.45, 0.72);  // ~20% of the volume
  const double rim_amplitude = clamp(1.1 + 0.25 * s + rng.normal(0, 0.1), 0.5, 2.2);
  const double washout_amplitude = clamp(1.5 + 0.3 * s + rng.normal(0, 0.1), 0.7, 2.6);
  const double oedema = sigmoid(1.5 * s + rng.normal(0, 0.5));  // 0-1
  const double oedema_width = 2.0 + 4.0 * oedema;               // mm beyond the boundary

  const size_t n = g.voxel_count();
  auto texture = smooth_noise(g.size[0], g.size[1], g.size[2], 3, rng);
  sc.tumour = core::Mask(g);
  sc.habitats = core::Mask(g);
  std::vector<double> oedema_map(n, 0.0);
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x) {
        auto p = g.index_to_physical(double(x), double(y), double(z));
        std::array<double, 3> d{p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]};
        const double dist = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        std::array<double, 3> dir{0, 0, 1};
        if (dist > 1e-9) dir = {d[0] / dist, d[1] / dist, d[2] / dist};
        double r = 0.9;
        for (int q = 0; q < 4; ++q) {
          const double c = std::max(0.0, dir[0] * lobes[q][0] + dir[1] * lobes[q][1] + dir[2] * lobes[q][2]);
          r += lobe_weight[q] * c * c * c;
        }
        const double boundary = radius * r;
        const size_t i = sc.tumour.offset(x, y, z);
        if (dist < boundary) {
          sc.tumour.voxels[i] = 1;
          const double rho = dist / boundary;
          const double along = dir[0] * washout_dir[0] + dir[1] * washout_dir[1] + dir[2] * washout_dir[2];
          sc.habitats.voxels[i] = rho < core_fraction ? 3 : (along > washout_threshold ? 2 : 1);
        } else if (dist < boundary + oedema_width) {
          oedema_map[i] = oedema * (1 - (dist - boundary) / oedema_width);
        }
      }

  const double noise = 8.0 * site.noise * o.noise;
  auto scanner = [&](double value) { return std::max(0.0, site.gain * value + site.offset + rng.normal(0, noise)); };
  for (double t : sc.dce_times_s) {
    core::Image phase(g);
    for (size_t i = 0; i < n; ++i) {
      const int h = sc.habitats.voxels[i];
      const double base = h ? 420.0 : 330.0 + 60.0 * texture[i];
      const double e =
          h ? enhancement(h, t, h == 1 ? rim_amplitude : washout_amplitude) : 0.15 * (1 + 0.5 * texture[i]) * t / 300.0;
      phase.voxels[i] = static_cast<float>(scanner(base * (1 + e)));
    }
    sc.dce.push_back(std::move(phase));
  }
  sc.t2 = core::Image(g);
  sc.dwi_b_values = {0, 800};
  sc.dwi = {core::Image(g), core::Image(g)};
  for (size_t i = 0; i < n; ++i) {
    const int h = sc.habitats.voxels[i];
    const double t2_base[4] = {260.0 + 50.0 * texture[i], 190.0, 180.0, 320.0};
    const double adc_base[4] = {1.6e-3, 0.95e-3, 0.8e-3, 1.7e-3};
    double t2 = t2_base[h] + 260.0 * oedema_map[i];
    double adc = adc_base[h] + 0.5e-3 * oedema_map[i] + rng.normal(0, 0.05e-3);
    sc.t2.voxels[i] = static_cast<float>(scanner(t2));
    sc.dwi[0].voxels[i] = static_cast<float>(scanner(t2 * 1.2));
    sc.dwi[1].voxels[i] = static_cast<float>(scanner(t2 * 1.2 * std::exp(-800.0 * std::max(adc, 1e-4))));
  }
  size_t volume_voxels = core::count_nonzero(sc.tumour);
  double volume_mm3 = static_cast<double>(volume_voxels) * g.spacing[0] * g.spacing[1] * g.spacing[2];
  sc.latent["mri_tumour_diameter_mm"] = 2 * std::cbrt(3 * volume_mm3 / (4 * kPi));
  sc.latent["mri_oedema"] = oedema;
}

// Draws a filled disc of value `add` (added) of radius r at (cx, cy).
void add_disc(core::Image& image, double cx, double cy, double r, double add) {
  const auto& sz = image.geometry.size;
  for (long y = std::max(0L, long(cy - r - 1)); y <= std::min(long(sz[1]) - 1, long(cy + r + 1)); ++y)
    for (long x = std::max(0L, long(cx - r - 1)); x <= std::min(long(sz[0]) - 1, long(cx + r + 1)); ++x)
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) image.at(x, y, 0) += static_cast<float>(add);
}

SynthMammographyView generate_mammogram(const std::string& view, bool right, double spiculation, double calcification,
                                        const SynthOptions& o, const SynthSite& site, Rng& rng) {
  core::Geometry g;
  g.size = {200, 260, 1};
  g.spacing = {site.mg_pixel_mm, site.mg_pixel_mm, 1};
  SynthMammographyView out{view, core::Image(g), core::Mask(g)};
  const double w = 200, h = 260;
  auto texture = smooth_noise(200, 260, 1, 6, rng);
  const double stretch = view == "MLO" ? 1.1 : 1.0;
  // Breast: a half ellipse from the chest wall (left edge for the right breast, as displayed).
  for (size_t y = 0; y < 260; ++y)
    for (size_t x = 0; x < 200; ++x) {
      const double fx = right ? x / (0.92 * w) : (w - 1 - x) / (0.92 * w);
      const double fy = (y - h / 2) / (0.47 * h * stretch);
      const bool breast = fx * fx + fy * fy < 1;
      out.image.at(x, y, 0) = static_cast<float>(breast ? 1500 + 350 * texture[y * 200 + x] : 60);
    }
  const double cx = (right ? 0.42 : 0.58) * w + rng.normal(0, 8);
  const double cy = 0.5 * h + rng.normal(0, 15);
  const double r = clamp(rng.normal(24, 4), 15, 34);
  const double margin = clamp(0.05 + 0.06 * spiculation, 0.0, 0.25);
  const double phase = rng.uniform(0, 2 * kPi);
  for (size_t y = 0; y < 260; ++y)
    for (size_t x = 0; x < 200; ++x) {
      const double dx = x - cx, dy = y - cy;
      const double a = std::atan2(dy, dx);
      const double boundary = r * (1 + margin * std::sin(5 * a + phase) + 0.5 * margin * std::sin(9 * a));
      if (dx * dx + dy * dy < boundary * boundary) {
        out.mask.at(x, y, 0) = 1;
        out.image.at(x, y, 0) += 550;
      }
    }
  // Spicules: thin radiating lines whose number and length grow with the spiculation score.
  const int spicules = static_cast<int>(std::round(clamp(3 + 4 * spiculation, 0, 14)));
  for (int s = 0; s < spicules; ++s) {
    const double a = rng.uniform(0, 2 * kPi);
    const double length = r * rng.uniform(0.5, 1.2);
    for (double t = r * 0.9; t < r + length; t += 0.5)
      add_disc(out.image, cx + t * std::cos(a), cy + t * std::sin(a), 1.0, 40);
  }
  // A calcification cluster near the mass.
  const int calcifications = static_cast<int>(std::round(clamp(2 + 4 * calcification + rng.normal(0, 1), 0, 20)));
  const double kx = cx + rng.normal(0, r * 0.5), ky = cy + rng.normal(0, r * 0.5);
  for (int c = 0; c < calcifications; ++c)
    add_disc(out.image, kx + rng.normal(0, 8), ky + rng.normal(0, 8), rng.uniform(0.8, 1.8), 1300);
  for (auto& v : out.image.voxels)
    v = static_cast<float>(clamp(site.gain * v + site.offset + rng.normal(0, 18 * site.noise * o.noise), 0, 4095));
  return out;
}

void generate_ultrasound(SynthCase& sc, const SynthOptions& o, const SynthSite& site, Rng& rng) {
  const double s = sc.latent["us"];
  const size_t frames = rng.bernoulli(0.3) ? 2 : 1;
  const double ratio = std::exp(clamp(0.35 * s + rng.normal(0, 0.12), -0.8, 0.8));  // height/width
  const double a = clamp(rng.normal(38, 6), 24, 55);                                // half width, px
  const double b = a * ratio * 0.7;
  const double irregular = clamp(0.06 + 0.07 * s + rng.normal(0, 0.02), 0.0, 0.3);
  const double shadow = clamp(0.25 + 0.25 * s + rng.normal(0, 0.08), 0.0, 0.85);
  const double phase = rng.uniform(0, 2 * kPi);
  for (size_t f = 0; f < frames; ++f) {
    core::Geometry g;
    g.size = {200, 160, 1};
    g.spacing = {site.us_pixel_mm, site.us_pixel_mm, 1};
    core::Image image(g);
    core::Mask mask(g);
    const double cx = 100 + rng.normal(0, 4), cy = 72 + rng.normal(0, 3);
    auto texture = smooth_noise(200, 160, 1, 4, rng);
    for (size_t y = 0; y < 160; ++y)
      for (size_t x = 0; x < 200; ++x) {
        const double dx = (x - cx) / a, dy = (y - cy) / b;
        const double angle = std::atan2(dy, dx);
        const double boundary = 1 + irregular * (std::sin(7 * angle + phase) + 0.6 * std::sin(13 * angle));
        double echo = y < 8 ? 1.4 : 0.55 + 0.15 * texture[y * 200 + x];
        if (dx * dx + dy * dy < boundary * boundary) {
          echo = 0.12;
          mask.at(x, y, 0) = 1;
        } else if (y > cy && std::abs(x - cx) < a * 0.9) {
          echo *= 1 - shadow * std::min(1.0, (y - cy - b) / 25.0 + 1.0) * (y > cy + b * 0.8 ? 1 : 0);
        }
        const double u = std::max(1e-12, rng.uniform());
        const double speckle = std::sqrt(-2 * std::log(u));  // Rayleigh
        image.at(x, y, 0) = static_cast<float>(
            clamp(site.gain * 95 * echo * speckle + 4 * site.offset / 100 + rng.normal(0, 2 * o.noise), 0, 255));
      }
    sc.ultrasound_frames.push_back(std::move(image));
    sc.ultrasound_masks.push_back(std::move(mask));
  }
}

}  // namespace

const std::vector<SynthSite>& synth_sites() {
  static const std::vector<SynthSite> kSites = {{"SITE_A", 1.00, 0.0, 1.0, {0.9, 0.9, 2.5}, 0.20, 0.10},
                                                {"SITE_B", 1.25, 40.0, 1.5, {1.0, 1.0, 3.0}, 0.25, 0.12},
                                                {"SITE_C", 0.85, -20.0, 0.8, {0.8, 0.8, 2.0}, 0.22, 0.09}};
  return kSites;
}

std::string synth_case_id(size_t index) {
  std::string digits = std::to_string(index + 1);
  return "SYN" + std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
}

SynthCase plan_case(const SynthOptions& o, size_t index) {
  Rng rng(core::derive_seed(o.seed, {index}));
  SynthCase sc;
  const double total = o.prevalence[0] + o.prevalence[1] + o.prevalence[2];
  const double u = rng.uniform() * total;
  sc.truth = u < o.prevalence[0] ? Her2Class::kZero
                                 : (u < o.prevalence[0] + o.prevalence[1] ? Her2Class::kLow : Her2Class::kPositive);
  const int k = static_cast<int>(sc.truth);
  sc.site = rng.below(synth_sites().size());
  const SynthSite& site = synth_sites()[sc.site];
  sc.latent["mri"] = o.effect_mri * kMriContrast[k] + rng.normal();
  sc.latent["mg"] = o.effect_mg * kMgContrast[k] + rng.normal();
  sc.latent["mg_calcification"] = o.effect_mg * (k == 2 ? 1.0 : -0.3) + rng.normal();
  sc.latent["us"] = o.effect_us * kUsContrast[k] + rng.normal();

  sc.has_mri = !rng.bernoulli(o.missing_mri);
  sc.has_mg = !rng.bernoulli(o.missing_mg);
  sc.has_us = !rng.bernoulli(o.missing_us);
  if (!sc.has_mri && !sc.has_mg && !sc.has_us) sc.has_mri = true;  // every case has some imaging

  Case& c = sc.record;
  c.case_id = synth_case_id(index);
  c.patient_id = "P" + c.case_id.substr(3);
  c.site = site.name;
  c.label = plant_label(sc.truth, o.indeterminate_rate, rng);
  return sc;
}

namespace {

// A second reader draws the same tumour with its edge moved: each boundary voxel inside is left
// out, and each outside voxel touching the tumour taken in, with probability 0.3 (face neighbours).
core::Mask second_reader(const core::Mask& tumour, Rng& rng) {
  const auto& size = tumour.geometry.size;
  core::Mask out = tumour;
  for (size_t z = 0; z < size[2]; ++z)
    for (size_t y = 0; y < size[1]; ++y)
      for (size_t x = 0; x < size[0]; ++x) {
        const bool inside = tumour.at(x, y, z) != 0;
        bool edge = false;
        const std::array<size_t, 3> p{x, y, z};
        for (int a = 0; a < 3 && !edge; ++a)
          for (int step : {-1, 1}) {
            const long long q = static_cast<long long>(p[a]) + step;
            if (q < 0 || q >= static_cast<long long>(size[a])) continue;
            auto r = p;
            r[a] = static_cast<size_t>(q);
            if ((tumour.at(r[0], r[1], r[2]) != 0) != inside) edge = true;
          }
        if (edge && rng.bernoulli(0.3)) out.at(x, y, z) = inside ? 0 : 1;
      }
  if (core::count_nonzero(out) == 0) return tumour;
  return out;
}

}  // namespace

SynthCase generate_case(const SynthOptions& o, size_t index) {
  SynthCase sc = plan_case(o, index);
  Case& c = sc.record;
  const SynthSite& site = synth_sites()[sc.site];
  // Each modality draws from its own stream, so switching one off leaves the others unchanged.
  Rng mri_rng(core::derive_seed(o.seed, {index, 1})), mg_rng(core::derive_seed(o.seed, {index, 2})),
      us_rng(core::derive_seed(o.seed, {index, 3})), clinical_rng(core::derive_seed(o.seed, {index, 4}));
  if (sc.has_mri) {
    generate_mri(sc, o, site, mri_rng);
    Rng reader_rng(core::derive_seed(o.seed, {index, 5}));  // its own stream: the other data stay as they were
    sc.tumour_reader2 = second_reader(sc.tumour, reader_rng);
  }
  if (sc.has_mg) {
    const bool right = mg_rng.bernoulli(0.5);
    for (const char* view : {"CC", "MLO"})
      sc.mammography.push_back(
          generate_mammogram(view, right, sc.latent["mg"], sc.latent["mg_calcification"], o, site, mg_rng));
    c.mammography = Mammography{right ? "R" : "L", {}, std::nullopt};
  }
  if (sc.has_us) generate_ultrasound(sc, o, site, us_rng);
  const double size_mm = sc.has_mri ? sc.latent["mri_tumour_diameter_mm"] : clamp(clinical_rng.normal(20, 6), 6, 60);
  c.clinical = plant_clinical(sc.truth, o, size_mm, clinical_rng);
  return sc;
}

}  // namespace vbiopsy::datasets
