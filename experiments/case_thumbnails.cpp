#include "experiments/case_thumbnails.h"

#include <functional>

#include "core/error.h"
#include "core/files.h"
#include "modalities/case_loader.h"
#include "modalities/roi_crops.h"
#include "modalities/thumbnail.h"

namespace vbiopsy::experiments {

namespace fs = std::filesystem;

namespace {

const ImageSaliency* saliency_of(const std::vector<ImageSaliency>& saliency, const std::string& modality) {
  for (const auto& s : saliency)
    if (s.spec.modality == modality) return &s;
  return nullptr;
}

// Item k of a map of views or frames ([items, size, size]).
std::vector<float> item_of(const ImageSaliency& s, size_t k) {
  const size_t plane = static_cast<size_t>(s.spec.crop.size) * static_cast<size_t>(s.spec.crop.size);
  if (s.values.size() < (k + 1) * plane) core::fail(s.method, " map of ", s.spec.modality, ": no item ", k + 1);
  return {s.values.begin() + static_cast<std::ptrdiff_t>(k * plane),
          s.values.begin() + static_cast<std::ptrdiff_t>((k + 1) * plane)};
}

}  // namespace

std::vector<CaseThumbnail> write_case_thumbnails(const datasets::Case& c, const std::vector<ImageSaliency>& saliency,
                                                 const fs::path& out, std::vector<std::string>& warnings) {
  std::vector<CaseThumbnail> pictures;
  // One picture, and with `map` (on the crop of `s`) a second one with the map blended in.
  auto add = [&](const std::string& modality, const std::string& name, std::string caption, const core::Image& image,
                 const core::Mask& mask, const ImageSaliency* s, const std::vector<float>& map, bool three_d) {
    auto thumbnail = modalities::region_thumbnail(image, mask);
    if (image.geometry.size[2] > 1)
      caption += ", slice " + std::to_string(thumbnail.slice + 1) + " of " + std::to_string(image.geometry.size[2]);
    auto keep = [&](const std::string& suffix, const std::string& method, modalities::Thumbnail t) {
      CaseThumbnail p{modality, caption + (method.empty() ? "" : ", " + method), method,
                      fs::path("images") / (name + suffix + ".png"), std::move(t.png)};
      core::write_file_atomic(out / p.file, std::string(p.png.begin(), p.png.end()));
      pictures.push_back(std::move(p));
    };
    keep("", "", std::move(thumbnail));
    if (!s) return;
    const auto heat = modalities::crop_map_on_image(map, mask, s->spec.crop, three_d);
    keep(s->method == "attention rollout" ? "_rollout" : "_saliency", s->method,
         modalities::region_thumbnail(image, mask, 256, &heat));
  };
  auto attempt = [&](const std::string& modality, const std::function<void()>& draw) {
    try {
      draw();
    } catch (const core::Error& e) {
      warnings.push_back("no picture of the " + modality + " images: " + e.what());
    }
  };
  fs::create_directories(out / "images");
  if (c.mri)
    attempt("mri", [&] {
      const auto mri = modalities::load_mri(*c.mri);
      const size_t phase = mri.dce.size() > 1 ? 1 : 0;
      const auto* s = saliency_of(saliency, "mri");
      add("mri", "mri", phase ? "MRI, DCE first post-contrast phase" : "MRI, DCE", mri.dce[phase], mri.mask, s,
          s ? s->values : std::vector<float>{}, true);
    });
  if (c.mammography)
    attempt("mg", [&] {
      const auto* s = saliency_of(saliency, "mg");
      for (const auto& v : modalities::load_mammography(*c.mammography)) {
        const size_t item = v.view == "CC" ? 0 : 1;  // the crop's order (roi_crops.h)
        add("mg", "mg_" + v.laterality + "_" + v.view, "Mammography " + v.laterality + " " + v.view, v.image, v.mask, s,
            s ? item_of(*s, item) : std::vector<float>{}, false);
      }
    });
  if (c.ultrasound)
    attempt("us", [&] {
      const auto us = modalities::load_ultrasound(*c.ultrasound);
      const auto* s = saliency_of(saliency, "us");
      for (size_t i = 0; i < std::min<size_t>(3, us.frames.size()); ++i) {
        const bool mapped =
            s && i < static_cast<size_t>(s->spec.crop.frames);  // the encoder saw the first `frames` frames
        add("us", "us_" + std::to_string(i + 1), "Ultrasound frame " + std::to_string(i + 1), us.frames[i], us.masks[i],
            mapped ? s : nullptr, mapped ? item_of(*s, i) : std::vector<float>{}, false);
      }
    });
  return pictures;
}

}  // namespace vbiopsy::experiments
