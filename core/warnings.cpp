#include "core/warnings.h"

#include <algorithm>
#include <iostream>
#include <mutex>
#include <set>

namespace vbiopsy::core {
namespace {
thread_local WarningCollector* current = nullptr;
}  // namespace

void warn(const std::string& message) {
  if (current) return current->add(message);
  static std::mutex mutex;
  static std::set<std::string> printed;
  std::lock_guard lock(mutex);
  if (printed.insert(message).second) std::cerr << "warning: " << message << "\n";
}

WarningCollector::WarningCollector() : previous_(current) { current = this; }
WarningCollector::~WarningCollector() { current = previous_; }

void WarningCollector::add(const std::string& message) {
  if (std::find(messages_.begin(), messages_.end(), message) == messages_.end()) messages_.push_back(message);
}

}  // namespace vbiopsy::core
