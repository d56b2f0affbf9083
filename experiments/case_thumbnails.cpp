#include "experiments/case_thumbnails.h"

#include <functional>

#include "core/error.h"
#include "core/files.h"
#include "modalities/case_loader.h"
#include "modalities/thumbnail.h"

namespace vbiopsy::experiments {

namespace fs = std::filesystem;

std::vector<CaseThumbnail> write_case_thumbnails(const datasets::Case& c, const fs::path& out, std::vector<std::string>& warnings) {
  std::vector<CaseThumbnail> pictures;
  auto add = [&](const std::string& modality, const std::string& name, std::string caption, const core::Image& image, const core::Mask& mask) {
    auto thumbnail = modalities::region_thumbnail(image, mask);
    if (image.geometry.size[2] > 1) caption += ", slice " + std::to_string(thumbnail.slice + 1) + " of " + std::to_string(image.geometry.size[2]);
    CaseThumbnail t{modality, caption, fs::path("images") / (name + ".png"), std::move(thumbnail.png)};
    core::write_file_atomic(out / t.file, std::string(t.png.begin(), t.png.end()));
    pictures.push_back(std::move(t));
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
      add("mri", "mri", phase ? "MRI, DCE first post-contrast phase" : "MRI, DCE", mri.dce[phase], mri.mask);
    });
  if (c.mammography)
    attempt("mg", [&] {
      for (const auto& v : modalities::load_mammography(*c.mammography))
        add("mg", "mg_" + v.laterality + "_" + v.view, "Mammography " + v.laterality + " " + v.view, v.image, v.mask);
    });
  if (c.ultrasound)
    attempt("us", [&] {
      const auto us = modalities::load_ultrasound(*c.ultrasound);
      for (size_t i = 0; i < std::min<size_t>(3, us.frames.size()); ++i)
        add("us", "us_" + std::to_string(i + 1), "Ultrasound frame " + std::to_string(i + 1), us.frames[i], us.masks[i]);
    });
  return pictures;
}

}  // namespace vbiopsy::experiments
