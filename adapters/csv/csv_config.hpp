// Typed settings of a `csv` endpoint (see csv_factory.hpp for the YAML) and their parser.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/config/config_node.hpp"
#include "core/csv/charset.hpp"
#include "core/csv/csv_writer.hpp"

namespace egov::adapters::csv {

// mode: lookup — answers calls with the rows of one exported file whose key columns match.
struct CsvLookupConfig {
  std::filesystem::path file;  // absolute (a relative setting is resolved at parse)
  char delimiter = ',';
  core::Charset charset = core::Charset::utf8;
  std::vector<std::string> key;  // header names, at least one, no repeats
  bool reload = true;            // re-index when the file's identity, size or mtime changes
};

// mode: output — each call writes one new file {folder}/{prefix}-{exchange id}.csv.
struct CsvOutputConfig {
  std::filesystem::path folder;  // absolute; an existing, writable directory
  std::string prefix;            // letters, digits, '.', '_', '-'; not starting with '.'
  std::vector<std::string> columns;
  core::CsvWriteOptions write;
};

using CsvConfig = std::variant<CsvLookupConfig, CsvOutputConfig>;

// Reads an endpoint's settings (the map that also holds `type: csv`). `default_prefix` is the
// output prefix when none is given (the endpoint key). Every problem is reported into
// settings.errors() with its line; returns nullopt when there was any. Checks the output
// folder on disk; the lookup file itself is read by the index, not here.
std::optional<CsvConfig> parseCsvConfig(const core::ConfigNode& settings,
                                        std::string_view default_prefix);

// "," ";" and tab (written "\t" in YAML, or the word tab).
std::optional<char> delimiterFromSetting(std::string_view text);

}  // namespace egov::adapters::csv
