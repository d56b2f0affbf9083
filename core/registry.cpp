#include "core/registry.h"

#include <cmath>

namespace vbiopsy::core {

ResolvedOptions::ResolvedOptions(std::string owner, const std::vector<OptionSpec>& specs,
                                 const std::map<std::string, std::string>& given)
    : owner_(std::move(owner)) {
  std::vector<std::string> known;
  for (const auto& spec : specs) {
    known.push_back(spec.name);
    values_[spec.name] = spec.default_value;
  }
  for (const auto& [key, value] : given) {
    if (!values_.count(key))
      fail(owner_, " has no option '", key, "'", did_you_mean(key, known),
           "; its options: ", known.empty() ? "(none)" : join(known, ", "));
    values_[key] = value;
  }
}

const std::string& ResolvedOptions::text(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) fail(owner_, ": option '", name, "' is not declared (internal error)");
  return it->second;
}

long long ResolvedOptions::integer(const std::string& name) const {
  const auto value = parse_int(text(name));
  if (!value) fail(owner_, ": option '", name, "' = '", text(name), "', expected an integer");
  return *value;
}

double ResolvedOptions::real(const std::string& name) const {
  const auto value = parse_double(text(name));
  if (!value || !std::isfinite(*value))
    fail(owner_, ": option '", name, "' = '", text(name), "', expected a finite number");
  return *value;
}

double ResolvedOptions::probability(const std::string& name) const {
  const double value = real(name);
  if (!(value >= 0 && value < 1))
    fail(owner_, ": option '", name, "' = '", text(name), "', expected a probability in [0, 1)");
  return value;
}

bool ResolvedOptions::flag(const std::string& name) const {
  const std::string value = to_lower(text(name));
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  fail(owner_, ": option '", name, "' = '", text(name), "', expected true or false");
}

}  // namespace vbiopsy::core
