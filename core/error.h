#pragma once
// One exception type for every user-facing failure: the message says what, where and why
// (file, field, value found, value expected). Tools catch it once in main.
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace vbiopsy::core {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Streams every argument into one string: concat("slice ", 3, " of ", path).
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

template <typename... Args>
[[noreturn]] void fail(Args&&... args) {
  throw Error(concat(std::forward<Args>(args)...));
}

}  // namespace vbiopsy::core
