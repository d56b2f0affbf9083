#include "datasets/her2.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::datasets {
namespace {

std::string squeeze(std::string_view text) {
  std::string out;
  for (char c : core::to_lower(text)) {
    if (c != ' ' && c != '\t' && c != '_') out += c;
  }
  return out;
}

std::optional<IshResult> ish_from_squeezed(const std::string& s) {
  static const char* const kAmplified[] = {"amplified", "amp",  "positive", "pos",   "+",      "1",   "yes",
                                           "fish+",     "ish+", "sish+",    "cish+", "ddish+", "true"};
  static const char* const kNotAmplified[] = {
      "notamplified", "non-amplified", "nonamplified", "not-amplified", "negative", "neg",    "-",    "0",
      "no",           "fish-",         "ish-",         "sish-",         "cish-",    "ddish-", "false"};
  static const char* const kNotDone[] = {"", "notdone", "nd", "na", "n/a", "none", "missing"};
  for (auto* s2 : kAmplified)
    if (s == s2) return IshResult::kAmplified;
  for (auto* s2 : kNotAmplified)
    if (s == s2) return IshResult::kNotAmplified;
  for (auto* s2 : kNotDone)
    if (s == s2) return IshResult::kNotDone;
  // "fishamplified", "sishnotamplified", "ishnegative": a method prefix before a result word.
  for (const char* method : {"ddish", "fish", "sish", "cish", "ish"}) {
    std::string m(method);
    if (s.size() > m.size() && s.compare(0, m.size(), m) == 0) {
      auto rest = ish_from_squeezed(s.substr(m.size()));
      if (rest && *rest != IshResult::kNotDone) return rest;
    }
  }
  return std::nullopt;
}

}  // namespace

Her2Label derive_her2(IhcScore ihc, IshResult ish) {
  Her2Label label{ihc, ish, std::nullopt};
  if (ish == IshResult::kAmplified) {
    label.her2 = Her2Class::kPositive;
    return label;
  }
  switch (ihc) {
    case IhcScore::kZero:
      label.her2 = Her2Class::kZero;
      break;
    case IhcScore::kOnePlus:
      label.her2 = Her2Class::kLow;
      break;
    case IhcScore::kTwoPlus:
      if (ish == IshResult::kNotAmplified) label.her2 = Her2Class::kLow;
      break;  // 2+ without ISH stays indeterminate
    case IhcScore::kThreePlus:
      label.her2 = Her2Class::kPositive;
      break;
  }
  return label;
}

ParsedIhc parse_ihc(std::string_view text) {
  std::string s = squeeze(text);
  if (s.compare(0, 3, "ihc") == 0) s = s.substr(3);
  if (s.empty() || s[0] < '0' || s[0] > '3') {
    core::fail("IHC score '", text, "' is not one of 0, 1+, 2+, 3+ (optionally '2+/FISH-')");
  }
  ParsedIhc parsed{static_cast<IhcScore>(s[0] - '0'), std::nullopt};
  size_t pos = 1;
  if (pos < s.size() && s[pos] == '+') ++pos;
  std::string rest = s.substr(pos);
  if (rest.empty()) return parsed;
  // An ISH result may follow, after "/", "(", ";", "," or a space: "2+/FISH-", "2+ (ISH amplified)".
  // Without a separator only a worded result counts, so that "21" is not read as 2 + ISH "1".
  const bool separated = rest[0] == '/' || rest[0] == '(' || rest[0] == ';' || rest[0] == ',';
  if (separated) rest = rest.substr(1);
  if (!rest.empty() && rest.back() == ')') rest.pop_back();
  const bool worded = !rest.empty() && std::isalpha(static_cast<unsigned char>(rest[0]));
  if (auto ish = ish_from_squeezed(rest); ish && !rest.empty() && (separated || worded)) {
    parsed.ish = *ish;
    return parsed;
  }
  core::fail("IHC score '", text,
             "' has an unreadable ISH part; expected e.g. '2+/FISH-', '2+/ISH+', '2+ (SISH amplified)'");
}

IshResult parse_ish(std::string_view text) {
  auto ish = ish_from_squeezed(squeeze(text));
  if (!ish) {
    core::fail("ISH result '", text,
               "' is not recognised; expected amplified/positive/pos/+, not amplified/negative/neg/-, "
               "or empty/not done");
  }
  return *ish;
}

std::string to_string(IhcScore ihc) {
  static const char* const kNames[] = {"0", "1+", "2+", "3+"};
  return kNames[static_cast<int>(ihc)];
}

std::string to_string(IshResult ish) {
  static const char* const kNames[] = {"not_done", "not_amplified", "amplified"};
  return kNames[static_cast<int>(ish)];
}

std::string to_string(Her2Class her2) { return kHer2ClassNames[static_cast<size_t>(her2)]; }

}  // namespace vbiopsy::datasets
