#pragma once
// HER2 status per ASCO/CAP 2018 (affirmed 2023), with the IHC score and ISH result kept as the
// label's provenance.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace vbiopsy::datasets {

enum class IhcScore { kZero, kOnePlus, kTwoPlus, kThreePlus };
enum class IshResult { kNotDone, kNotAmplified, kAmplified };
enum class Her2Class { kZero = 0, kLow = 1, kPositive = 2 };
inline constexpr int kHer2ClassCount = 3;
// The classes' names in everything the program writes and reads (predictions, metrics, bundles),
// in the order of Her2Class.
inline constexpr std::array<const char*, kHer2ClassCount> kHer2ClassNames{"zero", "low", "positive"};

struct Her2Label {
  IhcScore ihc = IhcScore::kZero;
  IshResult ish = IshResult::kNotDone;
  // nullopt: indeterminate (IHC 2+ without an ISH result) — excluded from training, and named.
  std::optional<Her2Class> her2;
};

// zero = IHC 0; low = IHC 1+, or 2+ with ISH not amplified; positive = IHC 3+, or 2+ with ISH
// amplified. ISH amplification makes any IHC score HER2-positive (ASCO/CAP: ISH-positive tumours
// are HER2-positive whatever their IHC score); such discordant cases are rare but real.
Her2Label derive_her2(IhcScore ihc, IshResult ish);

// Accepted spellings (case-insensitive, spaces ignored):
//   IHC: "0", "0+", "1+", "1", "2+", "2", "3+", "3", optionally prefixed "IHC"; a combined
//        "2+/FISH-", "2+ (ISH+)", "2+/SISH amplified" also sets the ISH result.
//   ISH: amplified  = "amplified", "amp", "positive", "pos", "+", "1", "yes", "fish+", "ish+"
//        not amp.   = "not amplified", "non-amplified", "negative", "neg", "-", "0", "no", "fish-"
//        not done   = "", "not done", "nd", "na", "n/a", "none", "missing"
// Unknown spellings throw core::Error naming the value and the accepted ones; the caller adds
// the file, row and column.
struct ParsedIhc {
  IhcScore ihc;
  std::optional<IshResult> ish;  // set when the IHC cell also carried the ISH result
};
ParsedIhc parse_ihc(std::string_view text);
IshResult parse_ish(std::string_view text);

std::string to_string(IhcScore ihc);    // "0", "1+", "2+", "3+"
std::string to_string(IshResult ish);   // "not_done", "not_amplified", "amplified"
std::string to_string(Her2Class her2);  // "zero", "low", "positive"

}  // namespace vbiopsy::datasets
