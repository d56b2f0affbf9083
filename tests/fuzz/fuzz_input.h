#pragma once
// Shared by the fuzz targets: the readers take paths, so each input is written to a file with the
// suffix that selects the reader. A core::Error is the expected answer to a malformed input; a
// crash, a sanitizer report or any other exception is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <string>

#include "core/error.h"
#include "core/warnings.h"

namespace vbiopsy::fuzz {

inline std::filesystem::path scratch_folder() {
  static const auto folder = [] {
    auto f = std::filesystem::temp_directory_path() / ("vbiopsy_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(f);
    std::atexit([] {  // libFuzzer ends a timed run with exit(): leave no scratch folders behind
      std::error_code ignored;
      std::filesystem::remove_all(
          std::filesystem::temp_directory_path() / ("vbiopsy_fuzz_" + std::to_string(::getpid())), ignored);
    });
    return f;
  }();
  return folder;
}

inline std::filesystem::path write_input(const uint8_t* data, size_t size, const std::string& name) {
  const auto path = scratch_folder() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// Runs a reader: a clear error is fine, anything else aborts so libFuzzer records the input.
inline void expect_error_or_success(const std::function<void()>& read) {
  core::WarningCollector discarded;  // warnings are answers too; uncollected they would pile up
  try {
    read();
  } catch (const core::Error&) {
  } catch (const std::bad_alloc&) {
    std::abort();  // sizes are checked before allocating: an unchecked allocation is a finding
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
}

}  // namespace vbiopsy::fuzz
