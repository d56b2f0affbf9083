#pragma once
// SHA-256 (OpenSSL) of byte streams and files: content keys for caches and provenance records.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace vbiopsy::core {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void add(std::string_view bytes);
  // A file's bytes; a folder's files in sorted path order, each preceded by its relative path.
  void add_path(const std::filesystem::path& path);
  std::string hex();  // finishes the digest

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string sha256_hex(std::string_view bytes);

}  // namespace vbiopsy::core
