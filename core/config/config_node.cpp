#include "core/config/config_node.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>

namespace egov::core {

std::string ConfigError::str() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

void ConfigErrors::add(ConfigError error) {
  // A profile bound by many tenants would otherwise report one mistake once per tenant.
  for (const auto& e : errors_) {
    if (e.file == error.file && e.line == error.line && e.column == error.column &&
        e.path == error.path && e.message == error.message) {
      return;
    }
  }
  errors_.push_back(std::move(error));
}

void ConfigErrors::add(std::string file, std::string message) {
  add(ConfigError{std::move(file), 0, 0, {}, std::move(message)});
}

namespace {

// By file and position, so that a file's errors read top to bottom.
std::string sortedLines(std::vector<ConfigError> all, std::string_view label) {
  std::stable_sort(all.begin(), all.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  std::string out;
  for (auto& e : all) {
    e.message = std::string(label) + e.message;
    out += e.str() + "\n";
  }
  return out;
}

}  // namespace

std::string ConfigErrors::str() const {
  return sortedLines(errors_, "");
}

void ConfigErrors::warn(ConfigError warning) {
  for (const auto& w : warnings_) {
    if (w.file == warning.file && w.line == warning.line && w.path == warning.path &&
        w.message == warning.message) {
      return;
    }
  }
  warnings_.push_back(std::move(warning));
}

std::string ConfigErrors::warningsStr() const {
  return sortedLines(warnings_, "warning: ");
}

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string path,
                       ConfigErrors* errors)
    // yaml-cpp's "zombie" node for an absent key throws on Type() and Mark(); an explicit
    // undefined node answers both.
    : node_(node.IsDefined() ? std::move(node) : YAML::Node(YAML::NodeType::Undefined)),
      file_(std::move(file)),
      path_(std::move(path)),
      errors_(errors) {}

namespace {

// yaml-cpp expands aliases by sharing nodes, so an alias bomb costs little memory to load
// but a walk over it is exponential. Counting nodes with a budget stops such a file early;
// the depth limit stops a self-referencing alias (a cycle) before it exhausts the stack
// (found by the config fuzzer: tests/fuzz/regressions/config/).
constexpr unsigned kMaxConfigDepth = 64;

bool withinNodeBudget(const YAML::Node& node, std::size_t& budget, unsigned depth = 0) {
  if (budget == 0 || depth > kMaxConfigDepth) return false;
  --budget;
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (!withinNodeBudget(kv.first, budget, depth + 1) ||
          !withinNodeBudget(kv.second, budget, depth + 1)) {
        return false;
      }
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!withinNodeBudget(item, budget, depth + 1)) return false;
    }
  }
  return true;
}

constexpr std::size_t kMaxConfigNodes = 200'000;
constexpr std::size_t kMaxConfigFileBytes = 4 * 1024 * 1024;

}  // namespace

ConfigNode ConfigNode::loadFile(const std::string& file, ConfigErrors* errors) {
  auto name = std::make_shared<const std::string>(file);
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    errors->add(file, "cannot read file");
    return ConfigNode(YAML::Node(), name, "", errors);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxConfigFileBytes) {
    errors->add(file, "file larger than 4 MiB");
    return ConfigNode(YAML::Node(), name, "", errors);
  }
  try {
    YAML::Node root = YAML::Load(text.str());
    std::size_t budget = kMaxConfigNodes;
    if (!withinNodeBudget(root, budget)) {
      errors->add(file,
                  "more than 200000 nodes or deeper than 64 levels (alias expansion or "
                  "an alias cycle?)");
      return ConfigNode(YAML::Node(), name, "", errors);
    }
    return ConfigNode(root, name, "", errors);
  } catch (const YAML::Exception& e) {
    errors->add(ConfigError{file, e.mark.line + 1, e.mark.column + 1, {}, e.msg});
    return ConfigNode(YAML::Node(), name, "", errors);
  }
}

ConfigNode ConfigNode::merged(const ConfigNode& base, const ConfigNode& over) {
  const ConfigNode& owner = over.valid() ? over : base;
  YAML::Node map(YAML::NodeType::Map);
  auto files = std::make_shared<KeyFiles>();
  for (const ConfigNode* part : {&base, &over}) {
    if (!part->node_.IsMap()) continue;
    for (const auto& kv : part->node_) {
      auto key = kv.first.as<std::string>("");
      map[key] = kv.second;  // shares the node, with its mark (line) in its own file
      std::erase_if(*files, [&](const auto& entry) { return entry.key == key; });
      files->push_back({key, part->file_, kv.first.Mark()});
    }
  }
  ConfigNode result(map, owner.file_, owner.path_, owner.errors_);
  result.key_files_ = std::move(files);
  return result;
}

const std::shared_ptr<const std::string>& ConfigNode::fileOf(std::string_view key) const {
  if (key_files_) {
    for (const auto& origin : *key_files_) {
      if (origin.key == key) return origin.file;
    }
  }
  return file_;
}

YAML::Mark ConfigNode::keyMark(const YAML::Node& key) const {
  if (key_files_) {  // a merged map's keys are new nodes: their place is the original's
    const auto name = key.as<std::string>("");
    for (const auto& origin : *key_files_) {
      if (origin.key == name) return origin.mark;
    }
  }
  return key.Mark();
}

std::string ConfigNode::childPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

bool ConfigNode::has(std::string_view key) const {
  return node_.IsMap() && node_[std::string(key)].IsDefined();
}

ConfigNode ConfigNode::operator[](std::string_view key) const {
  // Assigning to a YAML::Node writes through it; build the child directly instead.
  const YAML::Node& self = node_;
  return ConfigNode(node_.IsMap() ? self[std::string(key)] : YAML::Node(YAML::NodeType::Undefined),
                    fileOf(key), childPath(key), errors_);
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::entries() const {
  std::vector<std::pair<std::string, ConfigNode>> out;
  if (!node_.IsMap()) return out;
  for (const auto& kv : node_) {
    auto key = kv.first.as<std::string>("");
    out.emplace_back(key, ConfigNode(kv.second, fileOf(key), childPath(key), errors_));
  }
  return out;
}

std::vector<ConfigNode> ConfigNode::items() const {
  std::vector<ConfigNode> out;
  if (!node_.IsSequence()) return out;
  std::size_t i = 0;
  for (const auto& item : node_) {
    out.emplace_back(item, file_, path_ + "[" + std::to_string(i++) + "]", errors_);
  }
  return out;
}

bool ConfigNode::expectMap() const {
  if (node_.IsMap()) return true;
  error(valid() ? "expected a map" : "missing");
  return false;
}

ConfigNode ConfigNode::withSharedKeys(std::vector<std::string> keys) const {
  ConfigNode copy = *this;
  copy.shared_keys_ = std::make_shared<const std::vector<std::string>>(std::move(keys));
  return copy;
}

bool ConfigNode::allowKeys(std::initializer_list<std::string_view> known) const {
  if (!expectMap()) return false;
  bool ok = true;
  for (const auto& kv : node_) {
    auto key = kv.first.as<std::string>("");
    bool found = false;
    for (auto k : known) found = found || k == key;
    if (shared_keys_) {
      for (const auto& k : *shared_keys_) found = found || k == key;
    }
    if (!found) {
      ok = false;
      const auto mark = keyMark(kv.first);
      errors_->add(
          ConfigError{*fileOf(key), mark.line + 1, mark.column + 1, childPath(key), "unknown key"});
    }
  }
  return ok;
}

void ConfigNode::error(std::string message) const {
  const auto mark = node_.IsDefined() ? node_.Mark() : YAML::Mark::null_mark();
  const bool known = mark.line >= 0 && !(mark.line == -1);
  errors_->add(ConfigError{*file_, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0, path_,
                           std::move(message)});
}

ConfigError ConfigNode::placeOf(std::string_view key, std::string message) const {
  // At the key's value when present; else at the map that should hold it.
  auto child = (*this)[key];
  const auto mark = child.node_.IsDefined() ? child.node_.Mark() : node_.Mark();
  const bool known = mark.line >= 0;
  return ConfigError{*child.file_, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0,
                     childPath(key), std::move(message)};
}

void ConfigNode::errorAt(std::string_view key, std::string message) const {
  errors_->add(placeOf(key, std::move(message)));
}

void ConfigNode::warningAt(std::string_view key, std::string message) const {
  errors_->warn(placeOf(key, std::move(message)));
}

std::optional<std::string> ConfigNode::resolve(const std::string& raw) const {
  // Only whole-value references: a secret is a value, never part of a string.
  if (raw.size() < 4 || raw.rfind("${", 0) != 0 || raw.back() != '}') return raw;
  std::string_view ref(raw);
  ref = ref.substr(2, ref.size() - 3);
  if (ref.rfind("env:", 0) == 0) {
    std::string name(ref.substr(4));
    const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
    if (!value) {
      error("environment variable " + name + " is not set");
      return std::nullopt;
    }
    return std::string(value);
  }
  if (ref.rfind("file:", 0) == 0) {
    std::string path(ref.substr(5));
    std::ifstream in(path, std::ios::binary);
    if (path.empty() || !in) {
      error("cannot read secret file " + path);
      return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return value;
  }
  error("unknown reference ${" + std::string(ref) + "} (use ${env:NAME} or ${file:PATH})");
  return std::nullopt;
}

std::string ConfigNode::asString() const {
  if (!node_.IsScalar()) {
    error("expected a string");
    return {};
  }
  return resolve(node_.Scalar()).value_or("");
}

std::string ConfigNode::requiredString(std::string_view key) const {
  if (!has(key)) {
    if (node_.IsMap()) errorAt(key, "missing key");
    return {};
  }
  return (*this)[key].asString();
}

std::string ConfigNode::optionalString(std::string_view key, std::string fallback) const {
  if (!has(key)) return fallback;
  return (*this)[key].asString();
}

std::int64_t ConfigNode::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                                 std::int64_t max) const {
  if (!has(key)) return fallback;
  auto child = (*this)[key];
  std::string text = child.asString();
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    child.error("expected an integer");
    return fallback;
  }
  if (value < min || value > max) {
    child.error("must be between " + std::to_string(min) + " and " + std::to_string(max));
    return fallback;
  }
  return value;
}

bool ConfigNode::boolean(std::string_view key, bool fallback) const {
  if (!has(key)) return fallback;
  auto child = (*this)[key];
  std::string text = child.asString();
  if (text == "true") return true;
  if (text == "false") return false;
  child.error("expected true or false");
  return fallback;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "s") return std::chrono::seconds(value);
  if (unit == "m") return std::chrono::minutes(value);
  if (unit == "h") return std::chrono::hours(value);
  if (unit == "d") return std::chrono::hours(24 * value);
  return std::nullopt;
}

std::optional<std::uint64_t> parseBytes(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit.empty() || unit == "B") return value;
  if (unit == "KiB") return value * 1024;
  if (unit == "MiB") return value * 1024 * 1024;
  return std::nullopt;
}

std::chrono::milliseconds ConfigNode::duration(std::string_view key,
                                               std::chrono::milliseconds fallback) const {
  if (!has(key)) return fallback;
  auto child = (*this)[key];
  auto parsed = parseDuration(child.asString());
  if (!parsed) {
    child.error("expected a duration such as 250ms, 3s, 2m or 1h");
    return fallback;
  }
  return *parsed;
}

std::uint64_t ConfigNode::bytes(std::string_view key, std::uint64_t fallback) const {
  if (!has(key)) return fallback;
  auto child = (*this)[key];
  auto parsed = parseBytes(child.asString());
  if (!parsed) {
    child.error("expected a size such as 512, 64KiB or 10MiB");
    return fallback;
  }
  return *parsed;
}

std::vector<std::string> ConfigNode::stringList(std::string_view key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  auto child = (*this)[key];
  if (!child.isSequence()) {
    child.error("expected a list");
    return out;
  }
  for (const auto& item : child.items()) out.push_back(item.asString());
  return out;
}

}  // namespace egov::core
