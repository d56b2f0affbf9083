#include "core/files.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>

#include "core/error.h"

namespace vbiopsy::core {
namespace fs = std::filesystem;

const std::vector<ImageSuffix>& image_suffixes() {
  static const std::vector<ImageSuffix> kSuffixes = {
      {".nii.gz", ImageFileKind::kVolume}, {".nii", ImageFileKind::kVolume},   {".nrrd", ImageFileKind::kVolume},
      {".nhdr", ImageFileKind::kVolume},   {".mha", ImageFileKind::kVolume},   {".mhd", ImageFileKind::kVolume},
      {".png", ImageFileKind::kPicture},   {".jpg", ImageFileKind::kPicture},  {".jpeg", ImageFileKind::kPicture},
      {".pgm", ImageFileKind::kPicture},   {".ppm", ImageFileKind::kPicture},  {".bmp", ImageFileKind::kPicture},
      {".tif", ImageFileKind::kPicture},   {".tiff", ImageFileKind::kPicture}, {".dcm", ImageFileKind::kDicom},
      {".dicom", ImageFileKind::kDicom}};
  return kSuffixes;
}

const ImageSuffix* image_suffix_of(const std::string& file_name) {
  std::string lower = file_name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const ImageSuffix* best = nullptr;
  for (const auto& s : image_suffixes()) {
    const std::string suffix = s.suffix;
    if (lower.size() > suffix.size() && lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (!best || suffix.size() > std::string(best->suffix).size()))
      best = &s;
  }
  return best;
}

std::string read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string(), ": cannot open for reading (missing or not readable)");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

fs::path temporary_sibling(const fs::path& path) {
  // ".tmp<pid>." prefix keeps the real suffix (".nii.gz", ".png") at the end.
  return path.parent_path() /
         (".tmp" + std::to_string(::getpid()) + "." + path.filename().string());
}

void commit_temporary(const fs::path& temporary, const fs::path& path) {
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    fail(path.string(), ": cannot move the finished file into place: ", ec.message());
  }
}

void write_file_atomic(const fs::path& path, const std::string& bytes) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path temporary = temporary_sibling(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail(temporary.string(), ": cannot open for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) fail(temporary.string(), ": write failed (disk full?)");
  }
  commit_temporary(temporary, path);
}

}  // namespace vbiopsy::core
