#include "experiments/report.h"

#include "core/files.h"
#include "experiments/report_ablation.h"
#include "experiments/report_inputs.h"
#include "experiments/report_sections.h"

namespace vbiopsy::experiments {

namespace {

constexpr const char* kPageHead =
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>vbiopsy run report</title><style>"
    "body{font-family:sans-serif;margin:24px;max-width:1200px}table{border-collapse:collapse;margin:8px 0 20px}"
    "td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left}th{background:#f2f2f2}"
    ".ci{color:#666;font-size:11px}.charts{display:flex;flex-wrap:wrap;gap:12px}h2{margin-top:28px}</style></"
    "head><body>";

// The page with a numbered anchor on every section heading and a list of them before the first.
std::string with_contents(const std::string& page) {
  std::string out, contents = "<nav><b>Contents</b><ol>";
  size_t from = 0, section = 0, first = std::string::npos;
  for (size_t at = page.find("<h2>"); at != std::string::npos; at = page.find("<h2>", from)) {
    const size_t end = page.find("</h2>", at);
    if (end == std::string::npos) break;
    std::string title;  // the heading's text without tags
    bool in_tag = false;
    for (size_t i = at + 4; i < end; ++i) {
      if (page[i] == '<') in_tag = true;
      if (!in_tag) title += page[i];
      if (page[i] == '>') in_tag = false;
    }
    std::string id = "s";  // appended, not "s" + ...: GCC 12 warns falsely (-Wrestrict) on the latter
    id += std::to_string(++section);
    contents += "<li><a href=\"#" + id + "\">" + title + "</a></li>";
    if (first == std::string::npos) first = out.size() + (at - from);
    out += page.substr(from, at - from) + "<h2 id=\"" + id + "\">";
    from = at + 4;
  }
  out += page.substr(from);
  return first == std::string::npos ? out : out.insert(first, contents + "</ol></nav>");
}

}  // namespace

void write_report(const std::filesystem::path& run_dir) {
  const ReportInputs in = read_report_inputs(run_dir);
  std::string html = kPageHead;
  html += title_section(in);
  html += summary_section(in);
  html += published_section(in.run.value("source", nlohmann::json::object()), in.metrics,
                            in.ranked.empty() ? "" : in.ranked.front());
  html += ablation_section(in.metrics, in.reference);
  html += uncertainty_section(in);
  html += roc_section(in);
  html += reliability_section(in);
  html += decision_curve_section(in);
  html += confusion_section(in);
  html += shapley_section(in);
  html += weights_section(in);
  html += importances_section(in);
  html += comparisons_section(in);
  html += excluded_section(in);
  html += checklist_section(in);
  html += config_section(in);
  core::write_file_atomic(run_dir / "report.html", with_contents(html + "</body></html>\n"));
}

}  // namespace vbiopsy::experiments
