#include "modalities/image_io.h"

#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkMultiThreaderBase.h>

#include <algorithm>
#include <fstream>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <type_traits>

#include "core/error.h"
#include "core/files.h"
#include "core/memory_budget.h"
#include "core/strings.h"
#include "core/warnings.h"
#include "modalities/header_checks.h"
#include "modalities/itk_bridge.h"
#include "modalities/nrrd_payload.h"
#include "modalities/other_formats.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;
using core::fail;

namespace {

// deflate cannot compress more than about 1032:1, so a gzip-compressed file of n bytes holds at
// most that many times n bytes of voxels.
constexpr double kMaxDeflateRatio = 1032;

using ItkFloat3 = itk::Image<float, 3>;

}  // namespace

void prepare_itk_for_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::DataObject::GetGlobalReleaseDataFlag();
    itk::Object::GetGlobalWarningDisplay();
    itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
    auto reader = itk::ImageFileReader<ItkFloat3>::New();  // a process object: its multi-threader and the thread pool
    itk::ImageIOFactory::CreateImageIO("warm-up.nii.gz", itk::CommonEnums::IOFileMode::ReadMode);  // the factory list
  });
}

namespace {

// ITK's reader for the file with its header read and checked (size, type, geometry), before any
// voxel is allocated.
itk::ImageIOBase::Pointer open_header(const fs::path& path) {
  const std::string name = core::to_lower(path.filename().string());
  if (name.ends_with(".gz")) check_gzip_stream(path);
  if (name.ends_with(".nii") || name.ends_with(".nii.gz")) check_nifti_header(path);
  auto io = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::CommonEnums::IOFileMode::ReadMode);
  if (!io) fail(path.string(), ": ITK finds no reader for this file (unknown or corrupt format)");
  io->SetFileName(path.string());
  io->ReadImageInformation();
  std::array<double, 3> spacing{1, 1, 1}, origin{0, 0, 0};
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};
  const unsigned dims = std::min(3u, io->GetNumberOfDimensions());
  for (unsigned d = 0; d < dims; ++d) {
    spacing[d] = io->GetSpacing(d);
    origin[d] = io->GetOrigin(d);
    const auto axis = io->GetDirection(d);
    for (unsigned r = 0; r < dims && r < axis.size(); ++r) direction[3 * r + d] = axis[r];
  }
  check_geometry(path, spacing, origin, direction);
  return io;
}

// NaN and infinite voxels stay what they are (ITK's NIfTI reader zeroes them), with a warning:
// radiomics refuses them inside a region, and a mask file holding them is an error.
void keep_nonfinite_voxels(const fs::path& path, float* voxels, size_t count) {
  const std::string name = core::to_lower(path.filename().string());
  if (!name.ends_with(".nii") && !name.ends_with(".nii.gz")) return;
  if (const size_t n = restore_nonfinite_nifti_voxels(path, voxels, count); n > 0)
    core::warn(core::concat(path.string(), ": ", n,
                            " voxels are NaN or infinite (kept so; a region containing any is refused)"));
}

// Before any voxel is allocated: the header's size fits the memory budget (at most the buffer the
// file is read into, in its stored type, ITK's float buffer for a 4D series, and ours; for a NRRD
// also its compressed data), and a single-file image is large enough to hold it (raw, or at
// deflate's best ratio).
void require_plausible_size(const fs::path& path, const itk::ImageIOBase& io, double voxels) {
  // A single-file NRRD's gzip data are read whole before they are inflated (nrrd_payload.h).
  const bool whole_file = core::to_lower(path.extension().string()) == ".nrrd";
  core::require_within_memory_budget(
      voxels * (static_cast<double>(io.GetComponentSize()) + 8) + (whole_file ? double(fs::file_size(path)) : 0.0),
      core::concat(path.string(), ": its header's ", voxels, " voxels"));
  const std::string name = core::to_lower(path.filename().string());
  if (name.ends_with(".nhdr") || name.ends_with(".mhd")) return;  // the voxels are in another file
  std::string encoding = "raw";
  if (name.ends_with(".gz")) encoding = "gzip";
  if (name.ends_with(".nrrd") || name.ends_with(".mha")) {
    std::ifstream in(path, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head = core::to_lower(head.substr(0, static_cast<size_t>(in.gcount())));
    if (head.find("encoding: gz") != std::string::npos || head.find("compresseddata = true") != std::string::npos)
      encoding = "gzip";
    else if (head.find("encoding: raw") == std::string::npos && name.ends_with(".nrrd"))
      return;  // bzip2, ascii, hex: no bound
  }
  const double data_bytes = voxels * static_cast<double>(io.GetComponentSize()) * io.GetNumberOfComponents();
  const double file_bytes = static_cast<double>(fs::file_size(path));
  const double holds = encoding == "gzip" ? file_bytes * kMaxDeflateRatio : file_bytes;
  if (data_bytes > holds)
    fail(path.string(), ": its header claims ", voxels, " voxels (", data_bytes, " bytes of data) but the file's ",
         file_bytes, " bytes cannot hold them", encoding == "gzip" ? " even compressed" : "",
         " (truncated file or a corrupt header)");
}

// A mask voxel as a label: an integer 0-255 (within 1e-3, as float files store them), else an
// error naming the voxel and its value.
uint8_t label_value(const fs::path& path, size_t i, double v) {
  const double r = std::round(v);
  if (!std::isfinite(v) || r < 0 || r > 255 || std::abs(v - r) > 1e-3)
    fail(path.string(), ": voxel ", i, " holds ", float(v), "; a mask holds integer labels 0-255");
  return static_cast<uint8_t>(r);
}

// Reads the file's voxels in the type it stores them (ITK's reader would convert into a buffer of
// its own, then we would copy). The header is checked first; the file must hold one 3D volume of
// scalars. Calls use(T{}, n, fill) once, where fill(bytes) writes the n voxels, as T in this
// machine's byte order, to `bytes`: ITK's ImageIO, or our reader for a single-file NRRD
// (nrrd_payload.h). Returns the geometry.
template <typename Use>
core::Geometry read_itk_voxels(const fs::path& path, Use&& use, std::string* stored_type = nullptr) {
  try {
    auto io = open_header(path);
    if (stored_type) *stored_type = itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
    const unsigned dims = io->GetNumberOfDimensions();
    double voxels = 1;
    for (unsigned d = 0; d < dims; ++d) {
      voxels *= static_cast<double>(io->GetDimensions(d));
      if (d >= 3 && io->GetDimensions(d) > 1)
        fail(path.string(), ": is ", dims, "-D with ", io->GetDimensions(d), " volumes along axis ", d,
             "; expected one 3D volume (split it into one file per volume)");
    }
    require_plausible_size(path, *io, voxels);
    if (io->GetNumberOfComponents() != 1)
      fail(path.string(), ": has ", io->GetNumberOfComponents(), " components per voxel; expected 1");
    core::Geometry g;
    for (unsigned d = 0; d < std::min(3u, dims); ++d) {
      g.size[d] = io->GetDimensions(d);
      g.spacing[d] = io->GetSpacing(d);
      g.origin[d] = io->GetOrigin(d);
      const auto axis = io->GetDirection(d);
      for (unsigned r = 0; r < std::min(3u, dims) && r < axis.size(); ++r) g.direction[3 * r + d] = axis[r];
    }
    for (unsigned d = dims; d < 3; ++d) g.size[d] = 1;
    itk::ImageIORegion everything(dims);
    for (unsigned d = 0; d < dims; ++d) everything.SetSize(d, io->GetDimensions(d));
    io->SetIORegion(everything);
    const size_t n = g.voxel_count();
    const auto payload = attached_nrrd_payload(path);
    auto read_as = [&](auto zero) {
      using T = decltype(zero);
      use(zero, n, [&](unsigned char* bytes) {
        if (payload)
          read_nrrd_payload(path, *payload, n, sizeof(T), bytes);
        else
          io->Read(bytes);
      });
    };
    using C = itk::IOComponentEnum;
    switch (io->GetComponentType()) {
      case C::UCHAR:
        read_as(uint8_t{});
        break;
      case C::CHAR:
        read_as(int8_t{});
        break;
      case C::USHORT:
        read_as(uint16_t{});
        break;
      case C::SHORT:
        read_as(int16_t{});
        break;
      case C::UINT:
        read_as(uint32_t{});
        break;
      case C::INT:
        read_as(int32_t{});
        break;
      case C::ULONG:
      case C::ULONGLONG:
        read_as(uint64_t{});
        break;
      case C::LONG:
      case C::LONGLONG:
        read_as(int64_t{});
        break;
      case C::FLOAT:
        read_as(float{});
        break;
      case C::DOUBLE:
        read_as(double{});
        break;
      default:
        fail(path.string(), ": voxels of type ", itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType()),
             " cannot be read; expected integers or real numbers");
    }
    return g;
  } catch (const itk::ExceptionObject& e) {
    fail(path.string(), ": ITK cannot read it: ", e.GetDescription());
  }
}

// The n voxels that fill(bytes) writes as T, converted into Dest by convert(const T* from, Dest* to,
// first, count) in the very buffer they were read into: a second buffer would be fresh memory, and
// a fresh page costs more to fault in than its conversion does. The buffer holds n of the wider
// type; the conversion goes a block at a time through a copy that stays in cache, from the end
// when Dest is wider (so each block's output overwrites only voxels already converted) and from
// the start when it is narrower. A narrowing keeps the buffer's capacity.
template <typename Dest, typename T, typename Fill, typename Convert>
std::vector<Dest> read_converted(size_t n, Fill&& fill, Convert&& convert) {
  constexpr size_t kWider = std::max(sizeof(T), sizeof(Dest));
  std::vector<Dest> out((n * kWider + sizeof(Dest) - 1) / sizeof(Dest));
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  fill(bytes);
  if constexpr (!std::is_same_v<T, Dest>) {
    constexpr size_t kBlock = 4096;
    std::vector<T> from(std::min(kBlock, n));
    auto convert_block = [&](size_t first) {
      const size_t count = std::min(kBlock, n - first);
      std::memcpy(from.data(), bytes + first * sizeof(T), count * sizeof(T));
      convert(from.data(), out.data() + first, first, count);
    };
    const size_t blocks = (n + kBlock - 1) / kBlock;
    if constexpr (sizeof(Dest) > sizeof(T)) {
      for (size_t b = blocks; b-- > 0;) convert_block(b * kBlock);
    } else {
      for (size_t b = 0; b < blocks; ++b) convert_block(b * kBlock);
    }
  }
  out.resize(n);
  return out;
}

core::Image read_itk(const fs::path& path, std::string* stored_type) {
  core::Image image;
  image.geometry = read_itk_voxels(
      path,
      [&](auto zero, size_t n, const auto& fill) {
        using T = decltype(zero);
        image.voxels = read_converted<float, T>(n, fill, [](const T* from, float* to, size_t, size_t count) {
          for (size_t i = 0; i < count; ++i) to[i] = static_cast<float>(from[i]);
        });
      },
      stored_type);
  keep_nonfinite_voxels(path, image.voxels.data(), image.voxels.size());
  return image;
}

// A label map from a NIfTI/NRRD/MHA file, read in its stored type straight into 8 bits.
core::Mask read_itk_mask(const fs::path& path) {
  core::Mask mask;
  mask.geometry = read_itk_voxels(path, [&](auto zero, size_t n, const auto& fill) {
    using T = decltype(zero);
    if constexpr (std::is_floating_point_v<T>) {
      auto real_values = read_converted<float, T>(n, fill, [](const T* from, float* to, size_t, size_t count) {
        for (size_t i = 0; i < count; ++i) to[i] = static_cast<float>(from[i]);
      });
      // ITK's NIfTI reader zeroes NaN and infinite voxels: restore them so that they are refused.
      keep_nonfinite_voxels(path, real_values.data(), n);
      mask.voxels.resize(n);
      for (size_t i = 0; i < n; ++i) mask.voxels[i] = label_value(path, i, real_values[i]);
    } else {
      mask.voxels =
          read_converted<uint8_t, T>(n, fill, [&](const T* from, uint8_t* labels, size_t first, size_t count) {
            bool in_range = true;  // checked for the whole block at once, so that the loop vectorises
            for (size_t i = 0; i < count; ++i) {
              in_range &= from[i] >= 0 && from[i] <= 255;
              labels[i] = static_cast<uint8_t>(from[i]);
            }
            if (!in_range)
              for (size_t i = 0; i < count; ++i) label_value(path, first + i, double(from[i]));  // names the first
          });
    }
  });
  return mask;
}

template <typename Pixel>
void write_itk(const core::Geometry& g, const std::vector<Pixel>& voxels, const fs::path& path) {
  using ItkImage = itk::Image<Pixel, 3>;
  auto itk_image = itk_bridge::to_itk<Pixel>(g, voxels.data());
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path temporary = core::temporary_sibling(path);
  try {
    auto writer = itk::ImageFileWriter<ItkImage>::New();
    writer->SetFileName(temporary.string());
    writer->SetInput(itk_image);
    writer->SetUseCompression(true);
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    fs::remove(temporary);
    fail(path.string(), ": ITK cannot write it: ", e.GetDescription());
  }
  core::commit_temporary(temporary, path);
}

}  // namespace

FileKind file_kind(const fs::path& path) {
  if (fs::is_directory(path)) return FileKind::kDicom;
  if (const auto* suffix = core::image_suffix_of(path.filename().string())) {
    switch (suffix->kind) {
      case core::ImageFileKind::kVolume:
        return FileKind::kItk;
      case core::ImageFileKind::kPicture:
        return FileKind::kRaster;
      case core::ImageFileKind::kDicom:
        return FileKind::kDicom;
    }
  }
  if (path.extension().empty()) return FileKind::kDicom;
  std::vector<std::string> known;
  for (const auto& s : core::image_suffixes()) known.push_back(s.suffix);
  fail(path.string(), ": unknown image type '", path.extension().string(), "'; expected ", core::join(known, ", "),
       ", a suffix-less DICOM file or a DICOM folder");
}

core::Image read_image(const fs::path& path, std::string* stored_type) {
  if (!fs::exists(path)) fail(path.string(), ": file not found");
  if (stored_type) *stored_type = "float";  // DICOM and pictures are rescaled on reading
  switch (file_kind(path)) {
    case FileKind::kItk:
      return read_itk(path, stored_type);
    case FileKind::kRaster:
      return other_formats(path).read_picture(path);
    case FileKind::kDicom:
      return other_formats(path).read_dicom_volume(path);
  }
  fail(path.string(), ": unreachable");
}

std::vector<core::Image> read_image_series(const fs::path& path) {
  if (!fs::exists(path)) fail(path.string(), ": file not found");
  if (file_kind(path) != FileKind::kItk) return {read_image(path)};
  using ItkFloat4 = itk::Image<float, 4>;
  try {
    auto io = open_header(path);
    if (io->GetNumberOfDimensions() <= 3) return {read_image(path)};
    if (io->GetNumberOfDimensions() > 4)
      fail(path.string(), ": ", io->GetNumberOfDimensions(), "-D; expected 3-D or 4-D");
    double voxels = 1;
    for (unsigned d = 0; d < 4; ++d) voxels *= double(io->GetDimensions(d));
    require_plausible_size(path, *io, voxels);
    auto reader = itk::ImageFileReader<ItkFloat4>::New();
    reader->SetImageIO(io);
    reader->SetFileName(path.string());
    reader->Update();
    ItkFloat4::Pointer image = reader->GetOutput();
    core::Geometry g;
    const auto size = image->GetLargestPossibleRegion().GetSize();
    for (int i = 0; i < 3; ++i) {
      g.size[i] = size[i];
      g.spacing[i] = image->GetSpacing()[i];
      g.origin[i] = image->GetOrigin()[i];
      for (int j = 0; j < 3; ++j) g.direction[3 * i + j] = image->GetDirection()[i][j];
    }
    keep_nonfinite_voxels(path, image->GetBufferPointer(), g.voxel_count() * size[3]);
    std::vector<core::Image> volumes;
    const size_t per_volume = g.voxel_count();
    for (size_t t = 0; t < size[3]; ++t) {
      core::Image volume(g);
      std::copy_n(image->GetBufferPointer() + t * per_volume, per_volume, volume.voxels.begin());
      volumes.push_back(std::move(volume));
    }
    return volumes;
  } catch (const itk::ExceptionObject& e) {
    fail(path.string(), ": ITK cannot read it: ", e.GetDescription());
  }
}

std::string stored_pixel_type(const fs::path& path) {
  if (file_kind(path) != FileKind::kItk) return "float";
  try {
    auto io = open_header(path);
    return itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
  } catch (const itk::ExceptionObject& e) {
    fail(path.string(), ": ITK cannot read its header: ", e.GetDescription());
  }
}

core::Mask read_mask(const fs::path& path) {
  if (file_kind(path) == FileKind::kItk && fs::exists(path)) return read_itk_mask(path);
  const bool picture = file_kind(path) == FileKind::kRaster && fs::is_regular_file(path);
  const core::Image image = picture ? other_formats(path).read_picture_mask(path) : read_image(path);
  core::Mask mask(image.geometry);
  for (size_t i = 0; i < image.voxels.size(); ++i) mask.voxels[i] = label_value(path, i, image.voxels[i]);
  return mask;
}

void write_image(const core::Image& image, const fs::path& path) {
  if (file_kind(path) == FileKind::kItk) return write_itk(image.geometry, image.voxels, path);
  if (file_kind(path) != FileKind::kRaster) fail(path.string(), ": write DICOM with the DICOM writer");
  other_formats(path).write_picture(image, path);
}

void write_image_int16(const core::Image& image, const fs::path& path) {
  if (file_kind(path) != FileKind::kItk) fail(path.string(), ": int16 volumes are written as NIfTI/NRRD/MHA");
  std::vector<int16_t> voxels(image.voxels.size());
  for (size_t i = 0; i < voxels.size(); ++i)
    voxels[i] = static_cast<int16_t>(std::clamp(std::round(image.voxels[i]), -32768.0f, 32767.0f));
  write_itk(image.geometry, voxels, path);
}

void write_mask(const core::Mask& mask, const fs::path& path) {
  if (file_kind(path) == FileKind::kItk) return write_itk(mask.geometry, mask.voxels, path);
  if (file_kind(path) != FileKind::kRaster) fail(path.string(), ": masks are written as NIfTI/NRRD/PNG");
  other_formats(path).write_picture_mask(mask, path);
}

void require_same_grid(const core::Geometry& image, const fs::path& image_path, const core::Geometry& mask,
                       const fs::path& mask_path) {
  const std::string mismatch = core::describe_grid_mismatch(image, mask);
  if (!mismatch.empty())
    fail("mask ", mask_path.string(), " does not match the grid of image ", image_path.string(), ": ", mismatch);
}

}  // namespace vbiopsy::modalities
