#pragma once
#include <filesystem>
#include <string>

namespace vbiopsy::core {

std::string read_text_file(const std::filesystem::path& path);

// Writes through a temporary sibling and renames it into place, so a reader (or a resumed run)
// never sees a truncated file. Parent folders are created.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

// For writers that need a file name (ITK, DCMTK, OpenCV): the temporary sibling to write to,
// with the same extension so that format detection by suffix still works.
std::filesystem::path temporary_sibling(const std::filesystem::path& path);
void commit_temporary(const std::filesystem::path& temporary, const std::filesystem::path& path);

}  // namespace vbiopsy::core
