#include "modalities/nrrd_payload.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/strings.h"
#include "core/warnings.h"

namespace vbiopsy::modalities {
namespace fs = std::filesystem;
using core::fail;

namespace {

void swap_bytes(unsigned char* bytes, std::size_t n, std::size_t element_size) {
  for (std::size_t i = 0; i < n; ++i) std::reverse(bytes + i * element_size, bytes + (i + 1) * element_size);
}

// A file mapped read-only (its pages are the kernel's page cache: neither copied nor zero-filled);
// bytes is null when it cannot be mapped.
struct MappedFile {
  explicit MappedFile(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat status {};
    if (::fstat(fd, &status) == 0 && status.st_size > 0) {
      size = static_cast<std::size_t>(status.st_size);
      void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (address != MAP_FAILED) bytes = static_cast<const unsigned char*>(address);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (bytes) ::munmap(const_cast<unsigned char*>(bytes), size);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const unsigned char* bytes = nullptr;
  std::size_t size = 0;
};

// The gzip payload inflated whole by libdeflate into `out`, which is 1.2x zlib's speed on image data
// and 5x on label maps (long runs of one value, which zlib copies byte by byte): brain1's 6.5 MB
// label map inflates in 3 ms instead of 15. True when the payload holds exactly the voxels (in one
// or more gzip members); false for anything else (short, corrupt, or more data), which the streaming
// reader then reads again to say what is wrong.
bool inflate_whole(const fs::path& path, const NrrdPayload& payload, std::size_t out_bytes, unsigned char* out) {
  const MappedFile file(path);
  if (!file.bytes || file.size <= payload.offset) return false;
  const unsigned char* compressed = file.bytes + payload.offset;
  const std::size_t in_bytes = file.size - static_cast<std::size_t>(payload.offset);
  std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> inflater(libdeflate_alloc_decompressor(),
                                                                                        libdeflate_free_decompressor);
  if (!inflater) return false;
  std::size_t in_at = 0, out_at = 0;
  while (out_at < out_bytes) {  // a member at a time: a file may hold several, as gzip allows
    if (in_at >= in_bytes) return false;
    std::size_t in_used = 0, out_made = 0;
    if (libdeflate_gzip_decompress_ex(inflater.get(), compressed + in_at, in_bytes - in_at, out + out_at,
                                      out_bytes - out_at, &in_used, &out_made) != LIBDEFLATE_SUCCESS ||
        in_used == 0)
      return false;
    in_at += in_used;
    out_at += out_made;
  }
  return in_at == in_bytes;
}

// The gzip payload inflated by zlib a piece at a time, naming what is wrong with it: short or
// corrupt data (errors), extra data or a missing checksum (warnings).
void inflate_streaming(const fs::path& path, std::ifstream& in, std::size_t out_bytes, unsigned char* out,
                       std::size_t element_size) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) fail(path.string(), ": zlib cannot start inflating");
  std::vector<unsigned char> compressed(64 * 1024);
  auto input_left = [&] { return z.avail_in > 0 || in.peek() != std::char_traits<char>::eof(); };
  // False at the end of the file.
  auto refill = [&] {
    in.read(reinterpret_cast<char*>(compressed.data()), static_cast<std::streamsize>(compressed.size()));
    z.next_in = compressed.data();
    z.avail_in = static_cast<uInt>(in.gcount());
    return z.avail_in > 0;
  };
  auto inflate_some = [&] {
    const int status = inflate(&z, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
      fail(path.string(), ": its gzip data are corrupt (zlib: ", z.msg ? z.msg : "error", ")");
    return status == Z_STREAM_END;
  };
  std::size_t filled = 0;
  auto short_by = [&] {
    fail(path.string(), ": its data end after ", filled / element_size, " of the ", out_bytes / element_size,
         " voxels its header gives (truncated file or a corrupt header)");
  };
  bool member_ended = false;
  try {
    while (filled < out_bytes) {
      if (member_ended) {
        // A file may hold several gzip members one after the other, as gzip itself allows.
        if (!input_left()) short_by();
        if (inflateReset(&z) != Z_OK) fail(path.string(), ": zlib cannot go on inflating");
        member_ended = false;
      }
      if (z.avail_in == 0 && !refill()) short_by();
      const std::size_t want =
          std::min<std::size_t>(out_bytes - filled, std::size_t{1} << 30);  // zlib counts in 32 bits
      z.next_out = out + filled;
      z.avail_out = static_cast<uInt>(want);
      member_ended = inflate_some();
      filled += want - z.avail_out;
    }
    // The rest of the member: its checksum is verified on the way; further data are ignored, said so.
    bool extra = false;
    unsigned char probe[256];
    while (!member_ended && (z.avail_in > 0 || refill())) {
      z.next_out = probe;
      z.avail_out = sizeof probe;
      member_ended = inflate_some();
      extra = extra || z.avail_out < sizeof probe;
    }
    if (!member_ended)
      core::warn(path.string() +
                 ": its gzip data end without their checksum (a truncated file?); the voxels were "
                 "complete");
    if (extra || (member_ended && input_left()))
      core::warn(core::concat(path.string(), ": data after its ", out_bytes / element_size, " voxels are ignored"));
  } catch (...) {
    inflateEnd(&z);
    throw;
  }
  inflateEnd(&z);
}

}  // namespace

std::optional<NrrdPayload> attached_nrrd_payload(const fs::path& path) {
  if (core::to_lower(path.extension().string()) != ".nrrd") return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || !line.starts_with("NRRD000")) return std::nullopt;
  NrrdPayload payload;
  bool encoding_known = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {  // the blank line that ends the header: the data follow
      const auto offset = in.tellg();
      if (offset < 0 || !encoding_known) return std::nullopt;
      payload.offset = static_cast<std::uint64_t>(offset);
      return payload;
    }
    if (line.starts_with("#")) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos || line.compare(colon, 2, ":=") == 0) continue;  // key/value pairs
    const std::string field = core::to_lower(core::trim(line.substr(0, colon)));
    const std::string value = core::to_lower(core::trim(line.substr(colon + 1)));
    if (field == "encoding") {
      if (value == "raw") {
        encoding_known = true;
      } else if (value == "gzip" || value == "gz") {
        encoding_known = payload.gzip = true;
      } else {
        return std::nullopt;  // ascii, hex, bzip2: ITK reads them
      }
    } else if (field == "endian") {
      payload.big_endian = value == "big";
    } else if (field == "data file" || field == "datafile" || field == "line skip" || field == "lineskip" ||
               field == "byte skip" || field == "byteskip") {
      return std::nullopt;
    }
  }
  return std::nullopt;  // no blank line: no data in this file
}

void read_nrrd_payload(const fs::path& path, const NrrdPayload& payload, std::size_t count, std::size_t element_size,
                       unsigned char* out) {
  const std::size_t bytes = count * element_size;
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(payload.offset));
  if (!payload.gzip) {
    in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(bytes));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got != bytes)
      fail(path.string(), ": its data end after ", got / element_size, " of the ", count,
           " voxels its header gives (truncated file or a corrupt header)");
    if (in.peek() != std::char_traits<char>::eof())
      core::warn(core::concat(path.string(), ": bytes after its ", count, " voxels are ignored"));
  } else if (!inflate_whole(path, payload, bytes, out)) {
    inflate_streaming(path, in, bytes, out, element_size);
  }
  if (element_size > 1 && payload.big_endian != (std::endian::native == std::endian::big))
    swap_bytes(out, count, element_size);
}

}  // namespace vbiopsy::modalities
