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

// Elements handed over per chunk: 256 KiB of doubles, small enough to stay in cache.
constexpr std::size_t kChunkBytes = 256 * 1024;

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

// The gzip payload inflated whole by libdeflate, which is 1.2x zlib's speed on image data and 5x
// on label maps (long runs of one value, which zlib copies byte by byte): brain1's 6.5 MB label map
// inflates in 3 ms instead of 15. Hands over one run and returns true when the payload holds
// exactly the voxels (in one or more gzip members); false for anything else (short, corrupt, or
// more data), which the streaming reader then reads again to say what is wrong.
bool inflate_whole(const fs::path& path, const NrrdPayload& payload, std::size_t count, std::size_t element_size,
                   bool swap, const std::function<void(const unsigned char*, std::size_t, std::size_t)>& chunk) {
  const MappedFile file(path);
  if (!file.bytes || file.size <= payload.offset) return false;
  const unsigned char* compressed = file.bytes + payload.offset;
  const std::size_t in_bytes = file.size - static_cast<std::size_t>(payload.offset);
  const std::size_t out_bytes = count * element_size;
  std::unique_ptr<unsigned char[]> out(new unsigned char[out_bytes]);
  std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> inflater(libdeflate_alloc_decompressor(),
                                                                                        libdeflate_free_decompressor);
  if (!inflater) return false;
  std::size_t in_at = 0, out_at = 0;
  while (out_at < out_bytes) {  // a member at a time: a file may hold several, as gzip allows
    if (in_at >= in_bytes) return false;
    std::size_t in_used = 0, out_made = 0;
    if (libdeflate_gzip_decompress_ex(inflater.get(), compressed + in_at, in_bytes - in_at, out.get() + out_at,
                                      out_bytes - out_at, &in_used, &out_made) != LIBDEFLATE_SUCCESS ||
        in_used == 0)
      return false;
    in_at += in_used;
    out_at += out_made;
  }
  if (in_at != in_bytes) return false;
  if (swap) swap_bytes(out.get(), count, element_size);
  chunk(out.get(), 0, count);
  return true;
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
                       const std::function<void(const unsigned char*, std::size_t, std::size_t)>& chunk) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(payload.offset));
  const std::size_t per_chunk = kChunkBytes / element_size;
  std::vector<unsigned char> out(per_chunk * element_size);
  const bool swap = element_size > 1 && payload.big_endian != (std::endian::native == std::endian::big);
  std::size_t done = 0;
  auto hand_over = [&](std::size_t n) {
    if (swap) swap_bytes(out.data(), n, element_size);
    chunk(out.data(), done, n);
    done += n;
  };
  auto short_by = [&] {
    fail(path.string(), ": its data end after ", done, " of the ", count,
         " voxels its header gives (truncated file or a corrupt header)");
  };
  if (!payload.gzip) {
    while (done < count) {
      const std::size_t n = std::min(per_chunk, count - done);
      in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n * element_size));
      if (static_cast<std::size_t>(in.gcount()) != n * element_size) short_by();
      hand_over(n);
    }
    if (in.peek() != std::char_traits<char>::eof())
      core::warn(core::concat(path.string(), ": bytes after its ", count, " voxels are ignored"));
    return;
  }
  if (inflate_whole(path, payload, count, element_size, swap, chunk)) return;
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
  bool member_ended = false;
  try {
    std::size_t filled = 0;  // bytes of `out` inflated and not yet handed over
    while (done < count) {
      if (member_ended) {
        // A file may hold several gzip members one after the other, as gzip itself allows.
        if (!input_left()) {
          done += filled / element_size;
          short_by();
        }
        if (inflateReset(&z) != Z_OK) fail(path.string(), ": zlib cannot go on inflating");
        member_ended = false;
      }
      if (z.avail_in == 0 && !refill()) {
        done += filled / element_size;
        short_by();
      }
      const std::size_t want = std::min(per_chunk, count - done) * element_size;
      z.next_out = out.data() + filled;
      z.avail_out = static_cast<uInt>(want - filled);
      member_ended = inflate_some();
      filled = want - z.avail_out;
      if (filled == want) {
        hand_over(want / element_size);
        filled = 0;
      }
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
      core::warn(core::concat(path.string(), ": data after its ", count, " voxels are ignored"));
  } catch (...) {
    inflateEnd(&z);
    throw;
  }
  inflateEnd(&z);
}

}  // namespace vbiopsy::modalities
