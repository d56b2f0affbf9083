#include "modalities/header_checks.h"

#include <zlib.h>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <optional>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/strings.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;
using core::fail;

namespace {

constexpr int kNifti1HeaderSize = 348;

// The first bytes of a (possibly gzipped) file.
std::vector<unsigned char> leading_bytes(const fs::path& path, size_t count) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) fail(path.string(), ": cannot open it");
  std::vector<unsigned char> bytes(count);
  const int got = gzread(file, bytes.data(), static_cast<unsigned>(count));
  gzclose(file);
  bytes.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return bytes;
}

template <typename T>
T field(const std::vector<unsigned char>& header, size_t offset, bool swap) {
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, header.data() + offset, sizeof(T));
  if (swap)
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(raw[i], raw[sizeof(T) - 1 - i]);
  T value;
  std::memcpy(&value, raw, sizeof(T));
  return value;
}

// A NIfTI header as NIfTI's reader takes it: version 2 when sizeof_hdr is 540 (in either byte
// order), else version 1 whatever its sizeof_hdr or magic say (ITK reads such headers); the byte
// order from dim[0], which lies in 1-7.
struct NiftiLayout {
  int version = 1;
  bool swap = false;
  size_t dim, pixdim, qform_code, quatern, qoffset, srow, datatype, vox_offset;  // offsets
  size_t integer = 2, real = 4;                                                  // sizes of dim and of the real fields
};

NiftiLayout nifti_layout(const std::vector<unsigned char>& header, const fs::path& path) {
  NiftiLayout l;
  if (header.size() >= 4 && (field<int32_t>(header, 0, false) == 540 || field<int32_t>(header, 0, true) == 540)) {
    if (header.size() < 540) fail(path.string(), ": NIfTI-2 header truncated at ", header.size(), " of 540 bytes");
    l = {2, false, 16, 104, 344, 352, 376, 400, 12, 168, 8, 8};
  } else {
    if (header.size() < kNifti1HeaderSize)
      fail(path.string(), ": NIfTI header truncated at ", header.size(), " of 348 bytes");
    l = {1, false, 40, 76, 252, 256, 268, 280, 70, 108, 2, 4};
  }
  auto dims = [&](bool swap) {
    return l.integer == 2 ? double(field<int16_t>(header, l.dim, swap)) : double(field<int64_t>(header, l.dim, swap));
  };
  if (dims(false) >= 1 && dims(false) <= 7) return l;
  l.swap = true;
  if (dims(true) >= 1 && dims(true) <= 7) return l;
  fail(path.string(), ": NIfTI dim[0] is ", dims(false), " (", dims(true), " byte-swapped), expected 1 to 7");
}

double integer_at(const std::vector<unsigned char>& header, const NiftiLayout& l, size_t offset) {
  return l.integer == 2 ? double(field<int16_t>(header, offset, l.swap))
                        : double(field<int64_t>(header, offset, l.swap));
}
double real_at(const std::vector<unsigned char>& header, const NiftiLayout& l, size_t offset) {
  return l.real == 4 ? double(field<float>(header, offset, l.swap)) : field<double>(header, offset, l.swap);
}

}  // namespace

void check_nifti_header(const fs::path& path) {
  const auto header = leading_bytes(path, 540);
  const NiftiLayout l = nifti_layout(header, path);
  const int dims = int(integer_at(header, l, l.dim));
  for (int d = 1; d <= dims; ++d) {
    const double extent = integer_at(header, l, l.dim + l.integer * size_t(d));
    if (extent < 1) fail(path.string(), ": NIfTI dim[", d, "] is ", extent, ", expected at least 1");
    const double pixdim = real_at(header, l, l.pixdim + l.real * size_t(d));
    if (d <= 3 && (!std::isfinite(pixdim) || std::abs(pixdim) > 1e6))
      fail(path.string(), ": NIfTI pixdim[", d, "] is ", pixdim, ", expected a finite spacing of at most 1e6 mm");
  }
  // Finite, and small enough that ITK's products of them stay finite (|v| <= 1e9 mm).
  auto finite_fields = [&](const char* name, size_t offset, int count) {
    for (int i = 0; i < count; ++i) {
      const double v = real_at(header, l, offset + l.real * size_t(i));
      if (!std::isfinite(v) || std::abs(v) > 1e9)
        fail(path.string(), ": NIfTI ", name, " holds ", v, "; expected finite numbers of at most 1e9");
    }
  };
  const bool wide_codes = l.version == 2;  // int32 codes in NIfTI-2, int16 in NIfTI-1
  const double qform_code =
      wide_codes ? field<int32_t>(header, l.qform_code, l.swap) : field<int16_t>(header, l.qform_code, l.swap);
  const double sform_code =
      wide_codes ? field<int32_t>(header, l.qform_code + 4, l.swap) : field<int16_t>(header, l.qform_code + 2, l.swap);
  if (qform_code > 0) {
    finite_fields("quatern_b/c/d", l.quatern, 3);
    finite_fields("qoffset_x/y/z", l.qoffset, 3);
    finite_fields("pixdim[0] (qfac)", l.pixdim, 1);
  }
  if (sform_code > 0) {
    finite_fields("srow_x", l.srow, 4);
    finite_fields("srow_y", l.srow + 4 * l.real, 4);
    finite_fields("srow_z", l.srow + 8 * l.real, 4);
  }
}

size_t restore_nonfinite_nifti_voxels(const fs::path& path, float* voxels, size_t count) {
  const auto header = leading_bytes(path, 540);
  const NiftiLayout l = nifti_layout(header, path);
  const bool swap = l.swap;
  const int datatype = field<int16_t>(header, l.datatype, swap);
  const size_t bytes = datatype == 16 ? 4 : datatype == 64 ? 8 : 0;  // float32, float64
  if (bytes == 0) return 0;
  const double offset = l.version == 2 ? double(field<int64_t>(header, l.vox_offset, swap))
                                       : double(field<float>(header, l.vox_offset, swap));
  if (!(offset >= 0 && offset < 1e12)) return 0;
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) fail(path.string(), ": cannot open it");
  if (gzseek(file, static_cast<z_off_t>(offset), SEEK_SET) < 0) {
    gzclose(file);
    return 0;
  }
  size_t restored = 0, index = 0;
  std::vector<unsigned char> chunk(bytes * 65536);
  int got = 0;
  while (index < count && (got = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) {
    for (size_t at = 0; at + bytes <= size_t(got) && index < count; at += bytes, ++index) {
      unsigned char raw[8];
      std::memcpy(raw, chunk.data() + at, bytes);
      if (swap)
        for (size_t i = 0; i < bytes / 2; ++i) std::swap(raw[i], raw[bytes - 1 - i]);
      double value;
      if (bytes == 4) {
        float f;
        std::memcpy(&f, raw, 4);
        value = f;
      } else {
        std::memcpy(&value, raw, 8);
      }
      if (!std::isfinite(value)) {
        voxels[index] = static_cast<float>(value);
        ++restored;
      }
    }
  }
  gzclose(file);
  return restored;
}

void check_gzip_stream(const fs::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) fail(path.string(), ": cannot open it");
  gzbuffer(file, 1 << 17);
  std::vector<char> buffer(1 << 20);
  int got = 0;
  while ((got = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
  }
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  const std::string text = message ? message : "";
  gzclose(file);
  if (got < 0 || (code != Z_OK && code != Z_STREAM_END))
    fail(path.string(), ": the gzip stream is corrupt (", text, "); the file is damaged or truncated");
}

namespace {

struct PictureSignature {
  const char* format;
  std::vector<std::string> starts;  // any one of these
};

// The signatures of the picture suffixes core::image_suffixes() lists.
const PictureSignature* picture_signature(const std::string& suffix) {
  static const std::map<std::string, PictureSignature> kSignatures{
      {".png", {"PNG", {std::string("\x89PNG\r\n\x1a\n", 8)}}},
      {".jpg", {"JPEG", {"\xff\xd8\xff"}}},
      {".jpeg", {"JPEG", {"\xff\xd8\xff"}}},
      {".pgm", {"PGM", {"P2", "P5"}}},
      {".ppm", {"PPM", {"P3", "P6"}}},
      {".bmp", {"BMP", {"BM"}}},
      {".tif", {"TIFF", {std::string("II*\0", 4), std::string("MM\0*", 4)}}},
      {".tiff", {"TIFF", {std::string("II*\0", 4), std::string("MM\0*", 4)}}}};
  const auto found = kSignatures.find(core::to_lower(suffix));
  return found == kSignatures.end() ? nullptr : &found->second;
}

std::string hex_bytes(const unsigned char* bytes, size_t count) {
  std::string text;
  char cell[4];
  for (size_t i = 0; i < count; ++i) {
    std::snprintf(cell, sizeof cell, "%s%02X", i ? " " : "", bytes[i]);
    text += cell;
  }
  return text;
}

void check_png_size(const fs::path& path, const unsigned char* header) {
  if (std::memcmp(header + 12, "IHDR", 4) != 0) return;  // OpenCV refuses a PNG without one
  auto big_endian = [&](size_t at) {
    return (uint32_t(header[at]) << 24) | (uint32_t(header[at + 1]) << 16) | (uint32_t(header[at + 2]) << 8) |
           uint32_t(header[at + 3]);
  };
  const double width = big_endian(16), height = big_endian(20), bit_depth = header[24];
  const int colour = header[25];
  const double channels = colour == 2 ? 3 : colour == 4 ? 2 : colour == 6 ? 4 : 1;
  // OpenCV's decoded picture, its grey or float copies, and the image: about 16 bytes a pixel at most.
  const double bytes = width * height * (channels * std::max(1.0, bit_depth / 8) + 12);
  core::require_within_memory_budget(
      bytes, core::concat(path.string(), ": its PNG header's ", width, " x ", height, " pixels"));
}

}  // namespace

void check_picture_header(const fs::path& path) {
  const auto* signature = picture_signature(path.extension().string());
  if (!signature) fail(path.string(), ": '", path.extension().string(), "' is not a picture suffix");
  std::ifstream in(path, std::ios::binary);
  unsigned char header[29] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  const auto got = static_cast<size_t>(in.gcount());
  for (const auto& start : signature->starts)
    if (got >= start.size() && std::memcmp(header, start.data(), start.size()) == 0) {
      if (std::string(signature->format) == "PNG" && got == sizeof header) check_png_size(path, header);
      return;
    }
  const auto& expected = signature->starts.front();
  fail(path.string(), ": not a ", signature->format, " file: it starts with ",
       got ? hex_bytes(header, std::min<size_t>(got, 8)) : "nothing", "; a ", signature->format, " file starts with ",
       hex_bytes(reinterpret_cast<const unsigned char*>(expected.data()), expected.size()));
}

void check_geometry(const fs::path& path, const std::array<double, 3>& spacing, const std::array<double, 3>& origin,
                    const std::array<double, 9>& direction) {
  for (int a = 0; a < 3; ++a) {
    if (!std::isfinite(spacing[a]) || !(spacing[a] > 0))
      fail(path.string(), ": spacing along axis ", a, " is ", spacing[a], " mm; expected a finite positive number");
    if (!std::isfinite(origin[a]))
      fail(path.string(), ": origin along axis ", a, " is ", origin[a], "; expected a finite number");
  }
  for (double d : direction)
    if (!std::isfinite(d)) fail(path.string(), ": the direction matrix holds ", d, "; expected finite cosines");
  const auto& m = direction;
  const double determinant =
      m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (!(std::abs(determinant) > 1e-6))
    fail(path.string(), ": the direction matrix is singular (determinant ", determinant, ")");
}

}  // namespace vbiopsy::modalities
