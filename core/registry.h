#pragma once
// Named components selected from a config (encoders, fusion methods, classifiers), the way MONAI's
// component store works: each entry has a name, a one-line help, its options with defaults, and a
// factory. Unknown names and unknown options are errors that list what is known. Built-ins are
// registered explicitly (register_builtin_*), because a self-registering static object inside a
// static library is silently dropped by the linker.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace vbiopsy::core {

struct OptionSpec {
  std::string name;
  std::string default_value;
  std::string help;
};

// The options of one component after checking the user's values against the component's specs:
// every key is known and every spec has a value (the user's or the default).
class ResolvedOptions {
 public:
  ResolvedOptions() = default;
  ResolvedOptions(std::string owner, const std::vector<OptionSpec>& specs,
                  const std::map<std::string, std::string>& given);

  const std::string& text(const std::string& name) const;
  long long integer(const std::string& name) const;
  double real(const std::string& name) const;
  double probability(const std::string& name) const;  // in [0, 1): a dropout rate
  bool flag(const std::string& name) const;

 private:
  std::string owner_;
  std::map<std::string, std::string> values_;
};

// No traits: what a component declares beyond its name, help and options (Traits of a Registry).
struct NoTraits {};

template <typename Factory, typename Traits = NoTraits>
class Registry {
 public:
  struct Entry {
    std::string name;
    std::string help;
    std::vector<OptionSpec> options;
    Factory factory;
    Traits traits{};  // what the component declares about itself, e.g. the inputs an encoder reads
  };

  explicit Registry(std::string kind) : kind_(std::move(kind)) {}
  // A registry filled by `register_builtins` (register_builtin_encoders, ...).
  Registry(std::string kind, void (*register_builtins)(Registry&)) : kind_(std::move(kind)) {
    register_builtins(*this);
  }

  void add(Entry entry) {
    if (entries_.count(entry.name)) fail(kind_, " '", entry.name, "' is registered twice");
    const std::string name = entry.name;
    entries_.emplace(name, std::move(entry));
  }

  const Entry& get(const std::string& name) const {
    const Entry* entry = find(name);
    if (!entry) fail("unknown ", kind_, " '", name, "'", did_you_mean(name, names()), "; known: ", join(names(), ", "));
    return *entry;
  }
  const Entry* find(const std::string& name) const {
    const auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }

  ResolvedOptions resolve(const std::string& name, const std::map<std::string, std::string>& given) const {
    return ResolvedOptions(concat(kind_, " '", name, "'"), get(name).options, given);
  }

  // The component `name` built with the user's options (checked against its specs) and the
  // factory's other arguments.
  template <typename... Args>
  auto create(const std::string& name, const std::map<std::string, std::string>& options, Args&&... args) const {
    return get(name).factory(resolve(name, options), std::forward<Args>(args)...);
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }
  std::vector<const Entry*> entries() const {
    std::vector<const Entry*> out;
    for (const auto& [name, entry] : entries_) out.push_back(&entry);
    return out;
  }

 private:
  std::string kind_;
  std::map<std::string, Entry> entries_;
};

}  // namespace vbiopsy::core
