#include "adapters/csv/csv_source_config.hpp"

#include <unistd.h>

#include <system_error>

#include "adapters/csv/csv_config.hpp"

namespace egov::adapters::csv {

std::optional<CsvSourceConfig> parseCsvSourceConfig(const core::ConfigNode& settings) {
  const std::size_t errors_before = settings.errors().size();
  settings.allowKeys({"type", "service", "folder", "pattern", "delimiter", "charset", "settle",
                      "marker", "interval", "concurrency", "rows_per_exchange"});
  if (!settings.isMap()) return std::nullopt;
  CsvSourceConfig config;
  if (const std::string folder = settings.requiredString("folder"); !folder.empty()) {
    std::filesystem::path path(folder);
    if (path.is_relative()) path = std::filesystem::path(settings.file()).parent_path() / path;
    config.folder = path.lexically_normal();
    std::error_code ec;
    if (!std::filesystem::is_directory(config.folder, ec)) {
      settings.errorAt("folder", "not a folder: " + config.folder.string());
    } else if (::access(config.folder.c_str(), R_OK | W_OK | X_OK) != 0) {
      settings.errorAt("folder", "the bus cannot read and write " + config.folder.string());
    } else {
      for (const auto& sub : {config.doneFolder(), config.errorFolder()}) {
        std::filesystem::create_directories(sub, ec);
        if (ec) settings.errorAt("folder", "cannot create " + sub.string() + ": " + ec.message());
      }
    }
  }
  config.pattern = settings.optionalString("pattern", config.pattern);
  if (config.pattern.empty() || config.pattern.find('/') != std::string::npos) {
    settings.errorAt("pattern", "expected a file name pattern such as *.csv");
  }
  if (settings.has("delimiter")) {
    auto delimiter = delimiterFromSetting(settings["delimiter"].asString());
    if (!delimiter) settings.errorAt("delimiter", "expected \",\", \";\" or tab");
    config.delimiter = delimiter.value_or(',');
  }
  if (settings.has("charset")) {
    const std::string name = settings["charset"].asString();
    if (auto charset = core::charsetFromName(name)) {
      config.charset = *charset;
    } else {
      settings.errorAt("charset",
                       "unknown charset " + name + " (known: utf-8, windows-1252, iso-8859-1)");
    }
  }
  for (auto [key, value] : {std::pair{"settle", &config.settle}, {"interval", &config.interval}}) {
    if (!settings.has(key)) continue;
    *value = settings.duration(key, *value);
    if (value->count() <= 0) settings.errorAt(key, "must be greater than 0");
  }
  config.marker = settings.optionalString("marker");
  if (settings.has("marker") && (config.marker.size() < 2 || config.marker[0] != '.' ||
                                 config.marker.find('/') != std::string::npos)) {
    settings.errorAt("marker", "expected a file name suffix such as .ok");
  }
  config.concurrency = static_cast<std::size_t>(settings.integer("concurrency", 8, 1, 256));
  config.rows_per_exchange =
      static_cast<std::size_t>(settings.integer("rows_per_exchange", 1, 1, kMaxRowsPerExchange));
  if (settings.errors().size() != errors_before) return std::nullopt;
  return config;
}

}  // namespace egov::adapters::csv
