#include "core/strings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vbiopsy::core {

std::string trim(std::string_view text) {
  auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

std::optional<double> parse_double(std::string_view text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return value;
}

std::optional<long long> parse_int(std::string_view text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  long long value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return value;
}

std::string format_double(double value) {
  if (std::isnan(value)) return "nan";
  // The fewest significant digits (at least 6) with which "%.*g" reads back exactly. The shortest
  // round-trip form (std::to_chars, scientific) says how many digits that is, so one snprintf usually settles
  // it; the search from there covers the rare value whose nearest decimal of that length does not
  // read back (next to a power of two). Same text as trying every precision from 6 up.
  char shortest[64];
  const auto end = std::to_chars(shortest, shortest + sizeof shortest, value, std::chars_format::scientific).ptr;
  int digits = 0, pending_zeros = 0;
  bool significant = false;
  for (const char* c = shortest; c < end && *c != 'e'; ++c) {
    if (*c < '0' || *c > '9') continue;
    if (*c == '0') {
      if (significant) ++pending_zeros;  // significant only if a non-zero digit follows
      continue;
    }
    digits += pending_zeros + 1;
    pending_zeros = 0;
    significant = true;
  }
  char buffer[64];
  for (int precision = std::clamp(digits, 6, 17); precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

}  // namespace vbiopsy::core
