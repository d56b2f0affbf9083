#include "core/ini.h"

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::core {

void require_utf8(const std::string& text, const std::string& source) {
  size_t line = 1;
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') ++line;
    size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) valid = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    if (!valid)
      fail(source, " line ", line, ": byte ", i, " (0x", std::hex, int(byte), std::dec,
           ") is not valid UTF-8; save the file as UTF-8");
    i += length;
  }
}

void require_keys_in_sections(const std::string& text, const std::string& source, const std::string& section_hint) {
  size_t line_number = 0;
  for (const auto& raw : split(text, '\n')) {
    ++line_number;
    std::string line = trim(raw);
    if (line_number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line = trim(line.substr(3));  // a UTF-8 byte order mark
    if (line.empty() || line[0] == ';' || line[0] == '#') continue;
    if (line[0] == '[') return;  // the first section: every key after it belongs to one
    const std::string key = trim(line.substr(0, line.find('=')));
    fail(source, " line ", line_number, ": key '", key,
         "' comes before any [section] and would be ignored; put it under ", section_hint);
  }
}

}  // namespace vbiopsy::core
