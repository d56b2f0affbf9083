#pragma once
// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vbiopsy::core {

struct CsvTable {
  std::filesystem::path source;  // for error messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // every row has header.size() fields

  // Column index by exact (trimmed, case-insensitive) name, or nullopt.
  std::optional<size_t> column(std::string_view name) const;
  // Data row i is line i + 2 of the file when no field spans lines; used in messages.
  size_t line_of_row(size_t row) const { return row_lines.at(row); }
  std::vector<size_t> row_lines;
};

CsvTable parse_csv(const std::string& text, const std::filesystem::path& source);
CsvTable read_csv(const std::filesystem::path& path);

std::string csv_escape(const std::string& field);
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace vbiopsy::core
