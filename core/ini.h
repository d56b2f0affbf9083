#pragma once
// Checks shared by every INI file the program reads (radiomics settings, experiment configs).
#include <string>

namespace vbiopsy::core {

// INI readers silently ignore (Boost.PropertyTree) or misplace (Boost.Program_options) a key that
// comes before any [section], as in a PyRadiomics-style file starting "binWidth = 1". Throws naming
// the file, the line and the key; section_hint says where such keys belong ("[setting]").
// Every INI the program reads is UTF-8 (its text ends up in JSON records): invalid bytes are an
// error naming the file and line, before any work starts.
void require_utf8(const std::string& text, const std::string& source);

void require_keys_in_sections(const std::string& text, const std::string& source, const std::string& section_hint);

}  // namespace vbiopsy::core
