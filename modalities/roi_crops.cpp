#include "modalities/roi_crops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/strings.h"
#include "modalities/mri/kinetics.h"

namespace vbiopsy::modalities {

namespace {
constexpr std::pair<CropLayout, const char*> kLayoutNames[] = {{CropLayout::kViews, "views"},
                                                               {CropLayout::kFrames, "frames"},
                                                               {CropLayout::kVolume, "volume"},
                                                               {CropLayout::kSlices, "slices"}};
}  // namespace

const char* crop_layout_name(CropLayout layout) {
  for (const auto& [l, name] : kLayoutNames)
    if (l == layout) return name;
  return "?";
}

std::optional<CropLayout> crop_layout_named(const std::string& name) {
  for (const auto& [layout, n] : kLayoutNames)
    if (name == n) return layout;
  return std::nullopt;
}

const char* crop_layout_modality(CropLayout layout) {
  return layout == CropLayout::kViews ? "mg" : layout == CropLayout::kFrames ? "us" : "mri";
}

namespace {

// A box in continuous index coordinates: centre and half-extent per axis.
struct Box {
  std::array<double, 3> centre{0, 0, 0}, half{0.5, 0.5, 0.5};
};

// The region's bounding box grown into a square (2D) or cube (3D) in millimetres.
Box region_box(const core::Mask& mask, double margin, bool three_d) {
  const auto& g = mask.geometry;
  std::array<size_t, 3> lo{g.size[0], g.size[1], g.size[2]}, hi{0, 0, 0};
  bool any = false;
  for (size_t z = 0; z < g.size[2]; ++z)
    for (size_t y = 0; y < g.size[1]; ++y)
      for (size_t x = 0; x < g.size[0]; ++x)
        if (mask.at(x, y, z)) {
          any = true;
          const std::array<size_t, 3> p{x, y, z};
          for (int a = 0; a < 3; ++a) {
            lo[a] = std::min(lo[a], p[a]);
            hi[a] = std::max(hi[a], p[a]);
          }
        }
  if (!any) core::fail("the region mask is empty: nothing to crop around");
  const int axes = three_d ? 3 : 2;
  double side_mm = 0;
  for (int a = 0; a < axes; ++a) side_mm = std::max(side_mm, static_cast<double>(hi[a] - lo[a] + 1) * g.spacing[a]);
  side_mm *= 1 + 2 * margin;
  Box box;
  for (int a = 0; a < 3; ++a) {
    box.centre[a] = 0.5 * static_cast<double>(lo[a] + hi[a]);
    box.half[a] = a < axes ? 0.5 * side_mm / g.spacing[a] : 0.5;
  }
  return box;
}

// Trilinear interpolation at continuous index p, clamped to the image's edge.
float interpolate(const core::Image& image, const std::array<double, 3>& p) {
  const auto& size = image.geometry.size;
  std::array<size_t, 3> i0{}, i1{};
  std::array<double, 3> f{};
  for (int a = 0; a < 3; ++a) {
    const double c = std::clamp(p[a], 0.0, static_cast<double>(size[a] - 1));
    i0[a] = static_cast<size_t>(std::floor(c));
    i1[a] = std::min(i0[a] + 1, size[a] - 1);
    f[a] = c - static_cast<double>(i0[a]);
  }
  double v = 0;
  for (int corner = 0; corner < 8; ++corner) {
    double w = 1;
    std::array<size_t, 3> q{};
    for (int a = 0; a < 3; ++a) {
      const bool upper = corner & (1 << a);
      w *= upper ? f[a] : 1 - f[a];
      q[a] = upper ? i1[a] : i0[a];
    }
    if (w > 0) v += w * image.at(q[0], q[1], q[2]);
  }
  return static_cast<float>(v);
}

// The box sampled onto n = {nx, ny, nz} voxels, stored z, then y, then x (row-major [nz, ny, nx]).
// Each output voxel averages up to 8 samples per axis over the input it covers (area averaging).
std::vector<float> sample(const core::Image& image, const Box& box, const std::array<int, 3>& n) {
  std::array<double, 3> step{};
  std::array<int, 3> sub{};
  for (int a = 0; a < 3; ++a) {
    step[a] = 2 * box.half[a] / n[a];
    sub[a] = image.geometry.size[a] == 1 ? 1 : std::clamp(static_cast<int>(std::ceil(step[a])), 1, 8);
  }
  std::vector<float> out(static_cast<size_t>(n[0]) * n[1] * n[2]);
  size_t at = 0;
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i) {
        const std::array<int, 3> idx{i, j, k};
        double sum = 0;
        std::array<int, 3> s{0, 0, 0};
        for (s[2] = 0; s[2] < sub[2]; ++s[2])
          for (s[1] = 0; s[1] < sub[1]; ++s[1])
            for (s[0] = 0; s[0] < sub[0]; ++s[0]) {
              std::array<double, 3> p{};
              // Voxel centres sit at integer indices; the box [c - h, c + h] covers whole voxels.
              for (int a = 0; a < 3; ++a)
                p[a] = box.centre[a] - box.half[a] + step[a] * (idx[a] + (s[a] + 0.5) / sub[a]);
              sum += interpolate(image, p);
            }
        out[at++] = static_cast<float>(sum / (sub[0] * sub[1] * sub[2]));
      }
  return out;
}

std::vector<float> sample_mask(const core::Mask& mask, const Box& box, const std::array<int, 3>& n) {
  core::Image as_image(mask.geometry);
  for (size_t i = 0; i < mask.voxels.size(); ++i) as_image.voxels[i] = mask.voxels[i] ? 1.0f : 0.0f;
  return sample(as_image, box, n);
}

struct Moments {
  double mean = 0, sd = 0;
};

Moments moments(const std::vector<float>& v) {
  double sum = 0, sum2 = 0;
  for (float x : v) sum += x;
  const double mean = sum / static_cast<double>(v.size());
  for (float x : v) sum2 += (x - mean) * (x - mean);
  return {mean, std::sqrt(sum2 / static_cast<double>(v.size()))};
}

// z-scores with the given moments; a flat reference gives zeros (no division by zero).
void standardise(std::vector<float>& v, const Moments& m, double centre) {
  for (auto& x : v) x = m.sd > 0 ? static_cast<float>((x - centre) / m.sd) : 0.0f;
}

void append(CropArray& out, const std::vector<float>& v) { out.values.insert(out.values.end(), v.begin(), v.end()); }

// One 2D image's crop around its mask, standardised by its own moments.
std::vector<float> planar_crop(const core::Image& image, const core::Mask& mask, const CropSettings& settings) {
  auto v = sample(image, region_box(mask, settings.margin, false), {settings.size, settings.size, 1});
  standardise(v, moments(v), moments(v).mean);
  return v;
}

std::optional<int> phase_number(const std::string& channel, const char* prefix) {
  const size_t length = std::char_traits<char>::length(prefix);
  if (channel.rfind(prefix, 0) != 0 || channel.size() == length) return std::nullopt;
  const auto n = core::parse_int(channel.substr(length));
  if (!n || *n < 0) return std::nullopt;
  return static_cast<int>(*n);
}

}  // namespace

core::Image crop_map_on_image(const std::vector<float>& map, const core::Mask& region, const CropSettings& settings,
                              bool three_d) {
  const std::array<int, 3> n{settings.size, settings.size, three_d ? settings.depth : 1};
  if (map.size() != static_cast<size_t>(n[0]) * n[1] * n[2])
    core::fail("crop map: ", map.size(), " values, expected ", n[2], " x ", n[1], " x ", n[0]);
  const auto box = region_box(region, settings.margin, three_d);
  core::Image out(region.geometry);
  const auto& s = region.geometry.size;
  for (size_t z = 0; z < s[2]; ++z)
    for (size_t y = 0; y < s[1]; ++y)
      for (size_t x = 0; x < s[0]; ++x) {
        // The crop voxel i covers [c - h + i * step, c - h + (i + 1) * step) along each axis (sample()).
        const std::array<size_t, 3> p{x, y, z};
        std::array<int, 3> i{};
        bool inside = true;
        for (int a = 0; a < 3 && inside; ++a) {
          const double step = 2 * box.half[a] / n[a];
          const double t = std::floor((static_cast<double>(p[a]) - (box.centre[a] - box.half[a])) / step);
          inside = t >= 0 && t < n[a];
          i[a] = static_cast<int>(t);
        }
        if (inside) out.at(x, y, z) = map[(static_cast<size_t>(i[2]) * n[1] + i[1]) * n[0] + i[0]];
      }
  return out;
}

void check_crop_settings(const CropSettings& s) {
  if (s.size < 4 || s.size > 512) core::fail("crop size = ", s.size, ", expected 4 to 512 pixels");
  if (s.depth < 1 || s.depth > 256) core::fail("crop depth = ", s.depth, ", expected 1 to 256 slices");
  if (!(s.margin >= 0 && s.margin <= 4))
    core::fail("crop margin = ", s.margin, ", expected 0 to 4 (a fraction of the region's extent)");
  if (s.frames < 1 || s.frames > 64) core::fail("crop frames = ", s.frames, ", expected 1 to 64");
  if (s.channels.empty()) core::fail("crop channels: none given");
  for (const auto& c : s.channels)
    if (c != "t2" && c != "adc" && c != "mask" && !phase_number(c, "dce") && !phase_number(c, "sub"))
      core::fail("crop channel '", c, "', expected dce<n>, sub<n>, t2, adc or mask");
}

CropArray mammography_crop(const std::vector<LoadedMammographyView>& views, const CropSettings& settings) {
  check_crop_settings(settings);
  CropArray out;
  out.shape = {2, 1, settings.size, settings.size};
  const size_t plane = static_cast<size_t>(settings.size) * settings.size;
  for (const char* name : {"CC", "MLO"}) {
    const auto view =
        std::find_if(views.begin(), views.end(), [&](const LoadedMammographyView& v) { return v.view == name; });
    if (view == views.end()) {
      out.values.insert(out.values.end(), plane, 0.0f);
      out.items.push_back(0);
      continue;
    }
    append(out, planar_crop(view->image, view->mask, settings));
    out.items.push_back(1);
  }
  if (out.items[0] + out.items[1] == 0) core::fail("mammography: neither a CC nor an MLO view to crop");
  return out;
}

CropArray ultrasound_crop(const LoadedUltrasound& us, const CropSettings& settings) {
  check_crop_settings(settings);
  if (us.frames.empty() || us.masks.size() != us.frames.size())
    core::fail("ultrasound: ", us.frames.size(), " frames and ", us.masks.size(),
               " masks; expected one mask per frame and at least one frame");
  CropArray out;
  out.shape = {settings.frames, 1, settings.size, settings.size};
  const size_t plane = static_cast<size_t>(settings.size) * settings.size;
  for (int f = 0; f < settings.frames; ++f) {
    if (static_cast<size_t>(f) >= us.frames.size()) {
      out.values.insert(out.values.end(), plane, 0.0f);
      out.items.push_back(0);
      continue;
    }
    append(out, planar_crop(us.frames[f], us.masks[f], settings));
    out.items.push_back(1);
  }
  return out;
}

CropArray mri_crop(const LoadedMri& mri, const CropSettings& settings, bool slices) {
  check_crop_settings(settings);
  if (mri.dce.empty()) core::fail("MRI: no DCE phase to crop");
  const auto box = region_box(mri.mask, settings.margin, true);
  const std::array<int, 3> n{settings.size, settings.size, settings.depth};
  const auto pre = sample(mri.dce[0], box, n);
  const auto pre_moments = moments(pre);
  std::optional<core::Image> fitted_adc;
  std::vector<std::vector<float>> channels;
  for (const auto& name : settings.channels) {
    std::vector<float> v;
    if (const auto phase = phase_number(name, "dce"); phase || phase_number(name, "sub")) {
      const int p = phase ? *phase : *phase_number(name, "sub");
      if (static_cast<size_t>(p) >= mri.dce.size())
        core::fail("MRI crop channel '", name, "': the DCE series has ", mri.dce.size(), " phases (0 to ",
                   mri.dce.size() - 1, ")");
      v = p == 0 ? pre : sample(mri.dce[p], box, n);
      if (phase) {
        standardise(v, pre_moments, pre_moments.mean);
      } else {
        for (size_t i = 0; i < v.size(); ++i) v[i] -= pre[i];
        standardise(v, pre_moments, 0.0);
      }
    } else if (name == "t2") {
      if (!mri.t2) core::fail("MRI crop channel 't2': the case has no T2-weighted image");
      v = sample(*mri.t2, box, n);
      standardise(v, moments(v), moments(v).mean);
    } else if (name == "adc") {
      if (!mri.adc && !fitted_adc) {
        if (mri.dwi.size() < 2)
          core::fail("MRI crop channel 'adc': the case has neither an ADC map nor DWI with two or more b-values");
        fitted_adc = mri::fit_adc(mri.dwi, mri.dwi_b_values).adc;
      }
      v = sample(mri.adc ? *mri.adc : *fitted_adc, box, n);
      standardise(v, moments(v), moments(v).mean);
    } else {
      v = sample_mask(mri.mask, box, n);
    }
    channels.push_back(std::move(v));
  }
  CropArray out;
  const int64_t c = static_cast<int64_t>(channels.size());
  const size_t plane = static_cast<size_t>(settings.size) * settings.size;
  if (!slices) {
    out.shape = {c, settings.depth, settings.size, settings.size};
    for (const auto& v : channels) append(out, v);
    return out;
  }
  out.shape = {settings.depth, c, settings.size, settings.size};
  for (int z = 0; z < settings.depth; ++z)
    for (const auto& v : channels)
      out.values.insert(out.values.end(), v.begin() + z * plane, v.begin() + (z + 1) * plane);
  return out;
}

}  // namespace vbiopsy::modalities
