#pragma once
// Warnings: what a reader or check tolerated but a user must know (jittered slice positions, an
// assumed pixel size, a percentage given as a fraction). Nothing is dropped, clipped or guessed
// without one. A command that reports per case (validate, extract, predict) installs a
// WarningCollector on the thread that handles the case; without one, a warning goes to stderr once.
#include <string>
#include <vector>

namespace vbiopsy::core {

void warn(const std::string& message);

// Gathers the warnings raised on this thread while it lives (nested collectors: the innermost
// one). Repeats of the same message are kept once, in the order first raised.
class WarningCollector {
 public:
  WarningCollector();
  ~WarningCollector();
  WarningCollector(const WarningCollector&) = delete;
  WarningCollector& operator=(const WarningCollector&) = delete;

  void add(const std::string& message);
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::vector<std::string> messages_;
  WarningCollector* previous_;
};

}  // namespace vbiopsy::core
