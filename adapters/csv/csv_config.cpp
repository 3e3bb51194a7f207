#include "adapters/csv/csv_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <system_error>

namespace egov::adapters::csv {
namespace {

// Relative paths in a tenant file mean "next to this file", so a config tree can move whole.
std::filesystem::path resolvePath(const core::ConfigNode& settings, const std::string& value) {
  std::filesystem::path path(value);
  if (path.is_relative()) path = std::filesystem::path(settings.file()).parent_path() / path;
  return path.lexically_normal();
}

// A list of distinct, non-empty names; a single scalar is read as a list of one when
// `scalar_ok` (a one-column key reads naturally as `key: codice_fiscale`).
std::vector<std::string> readNames(const core::ConfigNode& settings, std::string_view key,
                                   bool scalar_ok) {
  if (!settings.has(key)) {
    settings.errorAt(key, "missing key");
    return {};
  }
  const core::ConfigNode node = settings[key];
  std::vector<std::string> names;
  if (scalar_ok && node.isScalar()) {
    names.push_back(node.asString());
  } else {
    names = settings.stringList(key);
    if (!node.isSequence()) return {};
  }
  if (names.empty()) node.error("expected at least one column name");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      node.error("column names must not be empty");
    } else if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
               names.begin() + static_cast<std::ptrdiff_t>(i)) {
      node.error("column '" + names[i] + "' is listed twice");
    }
  }
  return names;
}

char readDelimiter(const core::ConfigNode& settings) {
  if (!settings.has("delimiter")) return ',';
  auto delimiter = delimiterFromSetting(settings["delimiter"].asString());
  if (!delimiter) settings.errorAt("delimiter", "expected \",\", \";\" or tab");
  return delimiter.value_or(',');
}

bool isPrefixChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

CsvLookupConfig parseLookup(const core::ConfigNode& settings) {
  settings.allowKeys({"type", "mode", "file", "delimiter", "charset", "key", "reload"});
  CsvLookupConfig config;
  const std::string file = settings.requiredString("file");
  if (!file.empty()) config.file = resolvePath(settings, file);
  config.delimiter = readDelimiter(settings);
  if (settings.has("charset")) {
    const std::string name = settings["charset"].asString();
    auto charset = core::charsetFromName(name);
    if (charset) {
      config.charset = *charset;
    } else {
      settings.errorAt("charset",
                       "unknown charset " + name + " (known: utf-8, windows-1252, iso-8859-1)");
    }
  }
  config.key = readNames(settings, "key", true);
  config.reload = settings.boolean("reload", true);
  return config;
}

CsvOutputConfig parseOutput(const core::ConfigNode& settings, std::string_view default_prefix) {
  settings.allowKeys({"type", "mode", "folder", "prefix", "columns", "delimiter", "line_ending"});
  CsvOutputConfig config;
  const std::string folder = settings.requiredString("folder");
  if (!folder.empty()) {
    config.folder = resolvePath(settings, folder);
    std::error_code ec;
    if (!std::filesystem::is_directory(config.folder, ec)) {
      settings.errorAt("folder", "not a directory: " + config.folder.string());
    } else if (::access(config.folder.c_str(), W_OK | X_OK) != 0) {
      settings.errorAt("folder", "not writable: " + config.folder.string());
    }
  }
  config.prefix = settings.optionalString("prefix", std::string(default_prefix));
  // The prefix becomes part of a file name: no path separators, no hidden names (the writer's
  // temporary files start with '.').
  if (config.prefix.empty() || config.prefix.front() == '.' ||
      !std::all_of(config.prefix.begin(), config.prefix.end(), isPrefixChar)) {
    settings.errorAt("prefix", "'" + config.prefix +
                                   "' is not a file name prefix (letters, digits, '.', '_', '-'; "
                                   "not starting with '.')");
  }
  config.columns = readNames(settings, "columns", false);
  config.write.delimiter = readDelimiter(settings);
  const std::string line_ending = settings.optionalString("line_ending", "crlf");
  if (line_ending == "crlf" || line_ending == "lf") {
    config.write.crlf = line_ending == "crlf";
  } else {
    settings.errorAt("line_ending", "expected crlf or lf");
  }
  return config;
}

}  // namespace

std::optional<char> delimiterFromSetting(std::string_view text) {
  if (text == "," || text == ";" || text == "\t") return text.front();
  if (text == "tab") return '\t';
  return std::nullopt;
}

std::optional<CsvConfig> parseCsvConfig(const core::ConfigNode& settings,
                                        std::string_view default_prefix) {
  const std::size_t errors_before = settings.errors().size();
  if (!settings.expectMap()) return std::nullopt;
  const std::string mode = settings.requiredString("mode");
  std::optional<CsvConfig> config;
  if (mode == "lookup") {
    config = parseLookup(settings);
  } else if (mode == "output") {
    config = parseOutput(settings, default_prefix);
  } else if (!mode.empty()) {
    settings.errorAt("mode", "expected lookup or output");
  }
  if (settings.errors().size() != errors_before) return std::nullopt;
  return config;
}

}  // namespace egov::adapters::csv
