#pragma once
// Integers read from JSON files a user can edit (bundles, checkpoints, run records). nlohmann's
// get<int> truncates 2.5 to 2 and is undefined behaviour for 1e70, so a count, size or index is
// read here: it must be a whole number within the range the caller names, or the error says which
// field held what.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"

namespace vbiopsy::fusion {

template <typename Int = long long>
Int json_integer(const nlohmann::json& value, const std::string& what, long long lo = std::numeric_limits<Int>::min(),
                 long long hi = static_cast<long long>(std::min<unsigned long long>(
                     std::numeric_limits<Int>::max(), std::numeric_limits<long long>::max()))) {
  long long v = 0;
  if (value.is_number_unsigned()) {
    const auto u = value.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(hi)) core::fail(what, ": ", u, ", expected an integer in ", lo, "..", hi);
    v = static_cast<long long>(u);
  } else if (value.is_number_integer()) {
    v = value.get<long long>();
  } else if (value.is_number_float()) {  // 3.0 is accepted as 3; a fraction or a huge value is not
    const double d = value.get<double>();
    constexpr double kTwoTo63 = 9223372036854775808.0;  // the first double past long long's range
    if (!std::isfinite(d) || d != std::floor(d) || d < double(lo) || d >= kTwoTo63 || d > double(hi))
      core::fail(what, ": ", value.dump(), ", expected an integer in ", lo, "..", hi);
    v = static_cast<long long>(d);
  } else {
    core::fail(what, ": ", value.type_name(), " ", value.dump(), ", expected an integer in ", lo, "..", hi);
  }
  if (v < lo || v > hi) core::fail(what, ": ", v, ", expected an integer in ", lo, "..", hi);
  return static_cast<Int>(v);
}

// object[key] read as above (a whole number >= 0), or `fallback` when the key is absent.
inline long long json_count_or(const nlohmann::json& object, const std::string& key, long long fallback) {
  return object.is_object() && object.contains(key) ? json_integer(object.at(key), key, 0) : fallback;
}

// An array of such integers.
template <typename Int = long long>
std::vector<Int> json_integers(const nlohmann::json& value, const std::string& what,
                               long long lo = std::numeric_limits<Int>::min(),
                               long long hi = static_cast<long long>(std::min<unsigned long long>(
                                   std::numeric_limits<Int>::max(), std::numeric_limits<long long>::max()))) {
  if (!value.is_array()) core::fail(what, ": ", value.type_name(), ", expected an array of integers");
  std::vector<Int> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i)
    out.push_back(json_integer<Int>(value[i], what + "[" + std::to_string(i) + "]", lo, hi));
  return out;
}

}  // namespace vbiopsy::fusion
