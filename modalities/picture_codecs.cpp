#include "modalities/picture_codecs.h"

#include <dlfcn.h>

#include <mutex>

#include "core/error.h"

namespace vbiopsy::modalities::codecs {

namespace {

// The entry points, as OpenCV 4 declares them (opencv2/imgcodecs.hpp), looked up by their
// mangled names (GCC, libstdc++'s C++11 ABI).
using Imread = cv::Mat (*)(const std::string&, int);
using Imwrite = bool (*)(const std::string&, const cv::_InputArray&, const std::vector<int>&);
using Imencode = bool (*)(const std::string&, const cv::_InputArray&, std::vector<uchar>&, const std::vector<int>&);

struct Codecs {
  Imread imread = nullptr;
  Imwrite imwrite = nullptr;
  Imencode imencode = nullptr;
};

const Codecs& codecs() {
  static Codecs loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    // VBIOPSY_IMGCODECS: the library CMake found at build time (its full path).
    void* library = ::dlopen(VBIOPSY_IMGCODECS, RTLD_NOW | RTLD_GLOBAL);
    if (!library) core::fail("cannot load OpenCV's picture codecs (", VBIOPSY_IMGCODECS, "): ", ::dlerror());
    auto symbol = [&](const char* name) {
      void* address = ::dlsym(library, name);
      if (!address) core::fail(VBIOPSY_IMGCODECS, " lacks ", name, " (another OpenCV than the one built against?)");
      return address;
    };
    loaded.imread =
        reinterpret_cast<Imread>(symbol("_ZN2cv6imreadERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEi"));
    loaded.imwrite = reinterpret_cast<Imwrite>(symbol(
        "_ZN2cv7imwriteERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_11_InputArrayERKSt6vectorIiSaIiEE"));
    loaded.imencode = reinterpret_cast<Imencode>(symbol(
        "_ZN2cv8imencodeERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_11_InputArrayERSt6vectorIhSaIh"
        "EERKSB_IiSaIiEE"));
  });
  return loaded;
}

}  // namespace

cv::Mat imread(const std::string& path, int flags) { return codecs().imread(path, flags); }

bool imwrite(const std::string& path, const cv::Mat& picture) { return codecs().imwrite(path, picture, {}); }

bool imencode(const std::string& extension, const cv::Mat& picture, std::vector<uchar>& bytes) {
  return codecs().imencode(extension, picture, bytes, {});
}

}  // namespace vbiopsy::modalities::codecs
