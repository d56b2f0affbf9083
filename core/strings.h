#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbiopsy::core {

std::string trim(std::string_view text);
std::string to_lower(std::string_view text);
std::vector<std::string> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
// " (did you mean 'late'?)" when one candidate is within a small edit distance of `word` (a typo),
// else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
// Whole-string number parsing: "12.5" parses, "12.5mm" and "" do not.
std::optional<double> parse_double(std::string_view text);
std::optional<long long> parse_int(std::string_view text);
// Shortest text that reads back to the same double ("%.17g" trimmed), for byte-stable CSVs.
std::string format_double(double value);

}  // namespace vbiopsy::core
