#pragma once
// Reading and writing images by file type: NIfTI / NRRD / MetaImage through ITK, PNG / JPEG / PGM /
// BMP / TIFF through OpenCV (picture_io.h), DICOM (a .dcm file or a folder) through DCMTK; the
// last two through other_formats.h, so that a program that reads volumes only links neither.
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"

namespace vbiopsy::modalities {

// ITK 5.2 creates its global singletons (object factories, the thread pool, global flags) lazily and
// without locks: the first ITK use from two threads at once can corrupt the heap (ITK issue #5493).
// Every function that loads or processes images on several threads calls this first, on its own
// thread; it creates them once.
void prepare_itk_for_threads();

enum class FileKind { kItk, kRaster, kDicom };
// By suffix; a folder or a suffix-less file is DICOM. Unknown suffixes throw.
FileKind file_kind(const std::filesystem::path& path);

// With stored_type, also the component type the file stores (as stored_pixel_type gives it),
// from the same reading of the header.
core::Image read_image(const std::filesystem::path& path, std::string* stored_type = nullptr);
// A 4D file (NIfTI/NRRD/MHA) as its 3D volumes, in order (a 3D file gives one volume).
std::vector<core::Image> read_image_series(const std::filesystem::path& path);

// The component type the file stores ("short", "float", "unsigned_char", ...; ITK's names), for
// steps that must round as the original type would (PyRadiomics' resampling). DICOM and pictures
// report "float" (they are rescaled on reading).
std::string stored_pixel_type(const std::filesystem::path& path);
// A label map: voxels are rounded to integers 0-255; anything else is an error naming the value.
core::Mask read_mask(const std::filesystem::path& path);

// Written atomically. NIfTI/NRRD/MHA keep float32 (write_image) or uint8 labels (write_mask);
// PNG stores 16-bit grey for images (values clamped to 0-65535) and 8-bit for masks.
void write_image(const core::Image& image, const std::filesystem::path& path);
// Integer-valued images stored as int16 NIfTI/NRRD (values rounded and clamped), as scanners do.
void write_image_int16(const core::Image& image, const std::filesystem::path& path);
void write_mask(const core::Mask& mask, const std::filesystem::path& path);

// The grid check every loader applies: throws naming both files and the differing field.
void require_same_grid(const core::Geometry& image, const std::filesystem::path& image_path, const core::Geometry& mask,
                       const std::filesystem::path& mask_path);

}  // namespace vbiopsy::modalities
