#include "core/memory_budget.h"

#include <unistd.h>

#include <cstdlib>

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::core {

size_t memory_budget_bytes() {
  if (const char* text = std::getenv("VBIOPSY_MEMORY_BUDGET_MB")) {
    const auto mb = parse_int(text);
    if (!mb || *mb < 1) fail("VBIOPSY_MEMORY_BUDGET_MB = '", text, "', expected a positive whole number of megabytes");
    return static_cast<size_t>(*mb) << 20;
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return size_t{4} << 30;
  return static_cast<size_t>(pages) * static_cast<size_t>(page) / 2;
}

void require_within_memory_budget(double bytes, const std::string& what) {
  const double budget = static_cast<double>(memory_budget_bytes());
  if (!(bytes <= budget))
    fail(what, " would need ", static_cast<long long>(bytes / 1048576.0 + 0.5), " MB, more than the memory budget of ",
         static_cast<long long>(budget / 1048576.0),
         " MB (half the physical memory; set VBIOPSY_MEMORY_BUDGET_MB to change it)");
}

}  // namespace vbiopsy::core
