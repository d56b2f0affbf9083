#pragma once
// Writing a LibTorch archive so that the same tensors always give the same bytes.
#include <filesystem>

#include <torch/serialize/output-archive.h>

namespace vbiopsy::fusion {

// Serialises in memory and writes atomically (core::write_file_atomic). Saving to a file name
// instead would name the zip's root folder after the file being written — a temporary name that
// differs per process — so the bytes, and every checksum of them, would change on every save.
void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::filesystem::path& path);

}  // namespace vbiopsy::fusion
