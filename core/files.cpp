#include "core/files.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/strings.h"

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
  return path.parent_path() / (".tmp" + std::to_string(::getpid()) + "." + path.filename().string());
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
    if (!out) {
      out.close();
      std::error_code ignored;
      fs::remove(temporary, ignored);  // nothing half-written stays behind
      fail(temporary.string(), ": write failed (disk full?)");
    }
  }
  commit_temporary(temporary, path);
}

}  // namespace vbiopsy::core

namespace vbiopsy::core {

void remove_stale_temporaries(const fs::path& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) return;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".tmp", 0) != 0 || !it->is_regular_file(error)) continue;
    const auto dot = name.find('.', 4);
    const auto pid = dot == std::string::npos ? std::nullopt : parse_int(name.substr(4, dot - 4));
    if (pid && *pid > 0 && (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno != ESRCH))
      continue;  // its writer still runs
    stale.push_back(it->path());
  }
  for (const auto& file : stale) fs::remove(file, error);
}

FolderLock::FolderLock(const fs::path& folder, const std::string& command) {
  fs::create_directories(folder);
  const fs::path file = folder / ".lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(file.string(), ": cannot open the lock file (", std::strerror(errno), ")");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string holder(256, '\0');
    const ssize_t got = ::pread(fd_, holder.data(), holder.size(), 0);
    holder.resize(got > 0 ? static_cast<size_t>(got) : 0);
    ::close(fd_);
    fd_ = -1;
    fail(folder.string(), " is in use by another vbiopsy (",
         holder.empty() ? std::string("unknown process") : trim(holder),
         "); wait for it to finish or use another folder");
  }
  // Who holds it, for the message a second command gets; the lock holds without the note too.
  const std::string me = concat(command, ", pid ", ::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) < 0) return;
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace vbiopsy::core
