#include "datasets/case.h"

namespace vbiopsy::datasets {
namespace fs = std::filesystem;

double input_bytes(const Case& c) {
  double bytes = 0;
  std::error_code error;  // a missing file counts nothing: the checks name it
  for (const auto& file : input_files(c)) {
    if (fs::is_directory(file, error)) {
      for (const auto& entry : fs::recursive_directory_iterator(file, error))
        if (entry.is_regular_file(error)) bytes += static_cast<double>(entry.file_size(error));
    } else if (const auto size = fs::file_size(file, error); !error) {
      bytes += static_cast<double>(size);
    }
  }
  return bytes;
}

}  // namespace vbiopsy::datasets
