#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace vbiopsy::core {

std::string read_text_file(const std::filesystem::path& path);

// The image file types the readers take, by suffix (lower case): ITK's volumes, OpenCV's pictures
// and DICOM files. A folder or a suffix-less file is read as DICOM.
enum class ImageFileKind { kVolume, kPicture, kDicom };
struct ImageSuffix {
  const char* suffix;
  ImageFileKind kind;
};
const std::vector<ImageSuffix>& image_suffixes();
// The suffix of a file name among image_suffixes() (longest match, case-insensitive), or nullptr.
const ImageSuffix* image_suffix_of(const std::string& file_name);

// Writes through a temporary sibling and renames it into place, so a reader (or a resumed run)
// never sees a truncated file. Parent folders are created.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

// For writers that need a file name (ITK, DCMTK, OpenCV): the temporary sibling to write to,
// with the same extension so that format detection by suffix still works.
std::filesystem::path temporary_sibling(const std::filesystem::path& path);
void commit_temporary(const std::filesystem::path& temporary, const std::filesystem::path& path);

// Temporaries (".tmp<pid>.<name>") under folder, recursively, left by processes that no longer run
// (killed, or failed while writing): removed when a command starts writing there again.
void remove_stale_temporaries(const std::filesystem::path& folder);

// An advisory lock (flock) on a folder a command writes, held while the object lives: a second
// command on the same folder is refused, naming the process that holds it, instead of both doing
// all the work and leaving each other's files behind.
class FolderLock {
 public:
  FolderLock(const std::filesystem::path& folder, const std::string& command);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace vbiopsy::core
