#include "core/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "core/error.h"

namespace vbiopsy::core {
namespace fs = std::filesystem;

struct Sha256::State {
  EVP_MD_CTX* context = nullptr;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->context = EVP_MD_CTX_new();
  if (!state_->context || EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr) != 1)
    fail("SHA-256: OpenSSL could not start a digest");
}

Sha256::~Sha256() { EVP_MD_CTX_free(state_->context); }

void Sha256::add(std::string_view bytes) {
  if (EVP_DigestUpdate(state_->context, bytes.data(), bytes.size()) != 1) fail("SHA-256: update failed");
}

void Sha256::add_path(const fs::path& path) {
  if (fs::is_directory(path)) {
    std::vector<fs::path> files;
    for (auto& entry : fs::recursive_directory_iterator(path))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (auto& file : files) {
      add(fs::relative(file, path).generic_string());
      add_path(file);
    }
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string(), ": cannot open for hashing");
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    add(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  }
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(state_->context, digest, &length) != 1) fail("SHA-256: final failed");
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.add(bytes);
  return h.hex();
}

}  // namespace vbiopsy::core
