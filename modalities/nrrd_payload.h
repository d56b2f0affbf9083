#pragma once
// The voxels of a single-file NRRD (header and data in one .nrrd; raw or gzip encoding), read here
// rather than by ITK's NrrdIO. NrrdIO parses the header a second time and inflates with zlib, which
// copies the long runs of a label map byte by byte; here gzip data are inflated by libdeflate from
// the mapped file, and raw data read, straight into the caller's buffer, which the caller converts
// in place (image_io.cpp). ITK still reads and checks the header (sizes, type, geometry); every
// other layout (detached data, line or byte skips, other encodings) is read by ITK, and tests
// compare both readers voxel for voxel.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace vbiopsy::modalities {

struct NrrdPayload {
  std::uint64_t offset = 0;  // of the data in the file
  bool gzip = false;
  bool big_endian = false;
};

// The payload of a .nrrd whose data follow its header, raw or gzip; nullopt for anything else.
std::optional<NrrdPayload> attached_nrrd_payload(const std::filesystem::path& path);

// Reads `count` elements of `element_size` bytes into `out` (count * element_size bytes), in this
// machine's byte order. A payload shorter than that is an error naming the file; data beyond it are
// ignored with a warning.
void read_nrrd_payload(const std::filesystem::path& path, const NrrdPayload& payload, std::size_t count,
                       std::size_t element_size, unsigned char* out);

}  // namespace vbiopsy::modalities
