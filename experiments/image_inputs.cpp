#include "experiments/image_inputs.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>

#include "core/error.h"
#include "core/parallel.h"
#include "core/strings.h"
#include "modalities/case_loader.h"
#include "modalities/image_io.h"
#include "fusion/json_integers.h"

namespace vbiopsy::experiments {

namespace {

std::vector<std::string> channel_list(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& part : core::split(text, ','))
    if (const auto c = core::trim(part); !c.empty()) out.push_back(c);
  return out;
}

modalities::CropArray crop_case(const datasets::Case& c, const ImageInputSpec& spec) {
  switch (spec.layout) {
    case modalities::CropLayout::kViews:
      return modalities::mammography_crop(modalities::load_mammography(*c.mammography), spec.crop);
    case modalities::CropLayout::kFrames:
      return modalities::ultrasound_crop(modalities::load_ultrasound(*c.ultrasound), spec.crop);
    case modalities::CropLayout::kVolume:
    case modalities::CropLayout::kSlices:
      return modalities::mri_crop(modalities::load_mri(*c.mri), spec.crop,
                                  spec.layout == modalities::CropLayout::kSlices);
  }
  core::fail("unknown crop layout");
}

}  // namespace

bool has_images(const datasets::Case& c, const std::string& modality) {
  return modality == "mri"  ? c.mri.has_value()
         : modality == "mg" ? c.mammography.has_value()
                            : modality == "us" && c.ultrasound.has_value();
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "x" : "") + std::to_string(shape[i]);
  return out;
}

std::vector<core::OptionSpec> crop_option_specs() {
  const modalities::CropSettings d;
  return {{"size", std::to_string(d.size), "height and width of every crop (pixels)"},
          {"depth", std::to_string(d.depth),
           "MRI: slices of the tumour-centred cube (cnn3d depth, or vit2d/cnn2d slice count)"},
          {"margin", core::format_double(d.margin),
           "context around the region on each side, as a fraction of its largest extent"},
          {"frames", std::to_string(d.frames), "ultrasound: frames per case (fewer are masked as absent)"},
          {"channels", core::join(d.channels, ","), "MRI channels: dce<n>, sub<n> (dce<n> - dce0), t2, adc, mask"}};
}

ImageInputSpec ImageInputSpec::from(const std::string& modality, const std::string& encoder,
                                    modalities::CropLayout layout, const std::map<std::string, std::string>& options) {
  if (modality != modalities::crop_layout_modality(layout))
    core::fail("encoder '", encoder, "': ", modalities::crop_layout_name(layout), " are crops of ",
               modalities::crop_layout_modality(layout), ", not of ", modality);
  const core::ResolvedOptions resolved("[images." + modality + "]", crop_option_specs(), options);
  ImageInputSpec spec;
  spec.modality = modality;
  spec.encoder = encoder;
  spec.layout = layout;
  spec.crop.size = static_cast<int>(resolved.integer("size"));
  spec.crop.depth = static_cast<int>(resolved.integer("depth"));
  spec.crop.margin = resolved.real("margin");
  spec.crop.frames = static_cast<int>(resolved.integer("frames"));
  spec.crop.channels = channel_list(resolved.text("channels"));
  try {
    modalities::check_crop_settings(spec.crop);
  } catch (const core::Error& e) {
    core::fail("[images.", modality, "]: ", e.what());
  }
  return spec;
}

std::pair<std::vector<int64_t>, int64_t> ImageInputSpec::shape_from_settings() const {
  const auto& s = crop;
  const int64_t channels = static_cast<int64_t>(s.channels.size());
  switch (layout) {
    case modalities::CropLayout::kViews:
      return {{2, 1, s.size, s.size}, 2};
    case modalities::CropLayout::kFrames:
      return {{s.frames, 1, s.size, s.size}, s.frames};
    case modalities::CropLayout::kVolume:
      return {{channels, s.depth, s.size, s.size}, 0};
    case modalities::CropLayout::kSlices:
      return {{s.depth, channels, s.size, s.size}, 0};
  }
  core::fail("[images.", modality, "]: unknown layout");
}

nlohmann::json ImageInputSpec::to_json() const {
  return {{"modality", modality},  {"encoder", encoder},       {"layout", modalities::crop_layout_name(layout)},
          {"size", crop.size},     {"depth", crop.depth},      {"margin", crop.margin},
          {"frames", crop.frames}, {"channels", crop.channels}};
}

std::string ImageInputSpec::to_json_text() const { return to_json().dump(); }

ImageInputSpec ImageInputSpec::from_json(const nlohmann::json& json) {
  ImageInputSpec spec;
  try {
    spec.modality = json.at("modality").get<std::string>();
    spec.encoder = json.at("encoder").get<std::string>();
    const auto layout_name = json.at("layout").get<std::string>();
    const auto layout = modalities::crop_layout_named(layout_name);
    if (!layout) core::fail("image input settings: layout '", layout_name, "' is not views, frames, volume or slices");
    spec.layout = *layout;
    spec.crop.size = fusion::json_integer<int>(json.at("size"), "size");
    spec.crop.depth = fusion::json_integer<int>(json.at("depth"), "depth");
    spec.crop.margin = json.at("margin").get<double>();
    spec.crop.frames = fusion::json_integer<int>(json.at("frames"), "frames");
    spec.crop.channels = json.at("channels").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    core::fail("image input settings: ", e.what());
  }
  if (spec.modality != modalities::crop_layout_modality(spec.layout))
    core::fail("image input settings: layout '", modalities::crop_layout_name(spec.layout), "' crops ",
               modalities::crop_layout_modality(spec.layout), ", not ", spec.modality);
  modalities::check_crop_settings(spec.crop);
  return spec;
}

size_t ImageBlock::sample_size() const {
  return static_cast<size_t>(
      std::accumulate(sample_shape.begin(), sample_shape.end(), int64_t{1}, std::multiplies<>()));
}

ImageBlock image_block_of(const datasets::Cohort& cohort, const std::vector<std::string>& case_ids,
                          const ImageInputSpec& spec, unsigned threads,
                          std::vector<std::pair<std::string, std::string>>* failures) {
  std::map<std::string, const datasets::Case*> by_id;
  for (const auto& c : cohort.cases) by_id[c.case_id] = &c;
  std::vector<std::optional<modalities::CropArray>> crops(case_ids.size());
  std::vector<std::string> errors(case_ids.size());
  modalities::prepare_itk_for_threads();
  core::parallel_for(case_ids.size(), threads, [&](size_t i) {
    const auto it = by_id.find(case_ids[i]);
    if (it == by_id.end() || !has_images(*it->second, spec.modality)) return;
    try {
      crops[i] = crop_case(*it->second, spec);
    } catch (const core::Error& e) {
      errors[i] = e.what();
    }
  });
  ImageBlock block;
  block.spec = spec;
  for (const auto& crop : crops)
    if (crop) {
      block.sample_shape = crop->shape;
      block.item_count = static_cast<int64_t>(crop->items.size());
      break;
    }
  if (block.sample_shape.empty())
    std::tie(block.sample_shape, block.item_count) = spec.shape_from_settings();  // no case could be cropped
  const size_t size = block.sample_size();
  block.values.assign(case_ids.size() * size, 0.0f);
  block.items.assign(case_ids.size() * static_cast<size_t>(block.item_count), 0);
  block.present.assign(case_ids.size(), false);
  for (size_t i = 0; i < case_ids.size(); ++i) {
    if (!crops[i]) continue;
    if (crops[i]->shape != block.sample_shape || crops[i]->values.size() != size)
      core::fail("case '", case_ids[i], "': crop of shape ", shape_text(crops[i]->shape), ", the others have ",
                 shape_text(block.sample_shape));
    std::copy(crops[i]->values.begin(), crops[i]->values.end(),
              block.values.begin() + static_cast<std::ptrdiff_t>(i * size));
    std::copy(crops[i]->items.begin(), crops[i]->items.end(),
              block.items.begin() + static_cast<std::ptrdiff_t>(i * block.item_count));
    block.present[i] = true;
  }
  if (failures)
    for (size_t i = 0; i < case_ids.size(); ++i)
      if (!errors[i].empty()) failures->emplace_back(case_ids[i], spec.modality + " crop: " + errors[i]);
  return block;
}

}  // namespace vbiopsy::experiments
