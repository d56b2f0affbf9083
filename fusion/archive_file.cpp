#include "fusion/archive_file.h"

#include <sstream>

#include "core/files.h"

namespace vbiopsy::fusion {

void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::filesystem::path& path) {
  std::ostringstream bytes;
  archive.save_to(bytes);  // a stream archive's root folder is always "archive"
  core::write_file_atomic(path, bytes.str());
}

}  // namespace vbiopsy::fusion
