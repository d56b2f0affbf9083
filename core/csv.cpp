#include "core/csv.h"

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"

namespace vbiopsy::core {

std::optional<size_t> CsvTable::column(std::string_view name) const {
  const std::string wanted = to_lower(trim(name));
  for (size_t i = 0; i < header.size(); ++i) {
    if (to_lower(trim(header[i])) == wanted) return i;
  }
  return std::nullopt;
}

CsvTable parse_csv(const std::string& text, const std::filesystem::path& source) {
  CsvTable table;
  table.source = source;
  std::vector<std::vector<std::string>> records;
  std::vector<size_t> lines;
  std::vector<std::string> record;
  std::string field;
  bool in_quotes = false, field_started = false;
  size_t line = 1, record_line = 1;
  size_t i = 0;
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // UTF-8 BOM
  auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    field_started = false;
    bool blank = record.size() == 1 && trim(record[0]).empty();
    if (!blank) {
      records.push_back(std::move(record));
      lines.push_back(record_line);
    }
    record.clear();
  };
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\r') {
      // tolerated before \n
    } else if (c == '\n') {
      end_record();
      ++line;
      record_line = line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (in_quotes) fail(source.string(), ": unterminated quoted field starting on line ", record_line);
  if (field_started || !record.empty()) end_record();
  if (records.empty()) fail(source.string(), ": empty CSV, expected a header line");

  table.header = std::move(records.front());
  for (auto& name : table.header) name = trim(name);
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != table.header.size()) {
      fail(source.string(), ": line ", lines[r], " has ", records[r].size(), " fields, expected ", table.header.size(),
           " (as in the header)");
    }
    table.rows.push_back(std::move(records[r]));
    table.row_lines.push_back(lines[r]);
  }
  return table;
}

CsvTable read_csv(const std::filesystem::path& path) { return parse_csv(read_text_file(path), path); }

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_escape(fields[i]);
  }
  return out + "\n";
}

}  // namespace vbiopsy::core
