#include "core/ini.h"

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::core {

void require_keys_in_sections(const std::string& text, const std::string& source, const std::string& section_hint) {
  size_t line_number = 0;
  for (const auto& raw : split(text, '\n')) {
    ++line_number;
    std::string line = trim(raw);
    if (line_number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line = trim(line.substr(3));  // a UTF-8 byte order mark
    if (line.empty() || line[0] == ';' || line[0] == '#') continue;
    if (line[0] == '[') return;  // the first section: every key after it belongs to one
    const std::string key = trim(line.substr(0, line.find('=')));
    fail(source, " line ", line_number, ": key '", key, "' comes before any [section] and would be ignored; put it under ",
         section_hint);
  }
}

}  // namespace vbiopsy::core
