// Reading YAML config with every error collected as "file:line:col: key.path: message".
// Control plane only: used while a config generation is built, never on the message path.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace egov::core {

struct ConfigError {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string path;  // key path, e.g. "endpoints.tributi.timeout"
  std::string message;
  std::string str() const;
};

// All errors of one config load, in the order found, and apart from them the warnings:
// things that load and serve but that someone must still fix (a placeholder value).
class ConfigErrors {
 public:
  void add(ConfigError error);  // an exact repeat (same place, same message) is dropped
  void add(std::string file, std::string message);  // an error about a whole file
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  const std::vector<ConfigError>& all() const { return errors_; }
  std::string str() const;  // one error per line

  void warn(ConfigError warning);  // never makes the config invalid
  const std::vector<ConfigError>& warnings() const { return warnings_; }
  std::string warningsStr() const;  // one warning per line, "...: warning: message"

 private:
  std::vector<ConfigError> errors_;
  std::vector<ConfigError> warnings_;
};

// A YAML node with the file it came from and its key path. Getters report type errors and
// missing keys into ConfigErrors and return a default, so that loading goes on and reports
// everything. Scalars of the form ${env:NAME} and ${file:PATH} are resolved on read.
class ConfigNode {
 public:
  ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string path,
             ConfigErrors* errors);

  // Loads a YAML file; a syntax error or an alias bomb is reported and gives an invalid node.
  static ConfigNode loadFile(const std::string& file, ConfigErrors* errors);

  // A map of `base`'s entries overlaid by `over`'s (a key in both takes `over`'s value), e.g.
  // a profile's endpoint defaults under a tenant's own settings. Each top-level key keeps the
  // file it came from, so errors under it name that file and line; the merged map itself
  // belongs to `over`'s file. Either may be invalid (absent); both must be maps otherwise.
  static ConfigNode merged(const ConfigNode& base, const ConfigNode& over);

  bool valid() const { return node_.IsDefined() && !node_.IsNull(); }
  bool isMap() const { return node_.IsMap(); }
  bool isSequence() const { return node_.IsSequence(); }
  bool isScalar() const { return node_.IsScalar(); }
  bool has(std::string_view key) const;
  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }
  int line() const { return node_.Mark().line + 1; }
  const YAML::Node& yaml() const { return node_; }
  ConfigErrors& errors() const { return *errors_; }

  // Child by key; an undefined node (valid() == false) when absent.
  ConfigNode operator[](std::string_view key) const;
  // Entries of a map in file order, with their keys; items of a sequence.
  std::vector<std::pair<std::string, ConfigNode>> entries() const;
  std::vector<ConfigNode> items() const;

  // Reports every key of this map not in `known` (nor in sharedKeys). Also reports
  // "expected a map".
  bool allowKeys(std::initializer_list<std::string_view> known) const;
  // Keys of this map that another part reads (e.g. the core's limits on every endpoint),
  // which allowKeys accepts too. Returns a copy; children do not inherit them.
  ConfigNode withSharedKeys(std::vector<std::string> keys) const;
  bool expectMap() const;

  // Scalar readers of this node.
  std::string asString() const;
  // Keyed readers; `required` ones report "missing key" at this map.
  std::string requiredString(std::string_view key) const;
  std::string optionalString(std::string_view key, std::string fallback = {}) const;
  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) const;
  bool boolean(std::string_view key, bool fallback) const;
  // "250ms", "3s", "2m", "1h"
  std::chrono::milliseconds duration(std::string_view key,
                                     std::chrono::milliseconds fallback) const;
  // "512", "64KiB", "10MiB"
  std::uint64_t bytes(std::string_view key, std::uint64_t fallback) const;
  std::vector<std::string> stringList(std::string_view key) const;

  // Reports an error at this node, or at a key of it.
  void error(std::string message) const;
  void errorAt(std::string_view key, std::string message) const;
  // Reports a warning (the config stays valid) at a key of this map.
  void warningAt(std::string_view key, std::string message) const;

 private:
  struct KeyOrigin {
    std::string key;
    std::shared_ptr<const std::string> file;
    YAML::Mark mark;  // of the key in that file
  };
  using KeyFiles = std::vector<KeyOrigin>;
  std::string childPath(std::string_view key) const;
  const std::shared_ptr<const std::string>& fileOf(std::string_view key) const;
  YAML::Mark keyMark(const YAML::Node& key) const;
  ConfigError placeOf(std::string_view key, std::string message) const;
  std::optional<std::string> resolve(const std::string& raw) const;

  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  ConfigErrors* errors_;
  std::shared_ptr<const std::vector<std::string>> shared_keys_;
  std::shared_ptr<const KeyFiles> key_files_;  // merged maps: the file of each key
};

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
std::optional<std::uint64_t> parseBytes(std::string_view text);

}  // namespace egov::core
