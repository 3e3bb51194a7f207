// Typed settings of a `csv` source (a watched drop folder) and their parser.
//
//   sources:
//     versamenti:
//       type: csv
//       service: tari.versamento     # the route each row runs (one exchange per row)
//       folder: drop/tari            # watched; relative to this YAML file's folder
//       pattern: "*.csv"             # file names taken (glob), default *.csv
//       delimiter: ";"               # "," (default), ";" or tab
//       charset: windows-1252        # utf-8 (default), windows-1252, iso-8859-1
//       settle: 2s                   # complete = size and mtime unchanged this long (default 2s)
//       marker: ".ok"                # or: complete = NAME.ok exists (then settle is not used)
//       interval: 1s                 # how often the folder is looked at (default 1s)
//       concurrency: 8               # rows in flight at once (default 8)
//
// The folder's done/ and error/ sub-folders are created at load when missing.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "core/config/config_node.hpp"
#include "core/csv/charset.hpp"

namespace egov::adapters::csv {

struct CsvSourceConfig {
  std::filesystem::path folder;  // absolute
  std::string pattern = "*.csv";
  char delimiter = ',';
  core::Charset charset = core::Charset::utf8;
  std::chrono::milliseconds settle{2'000};
  std::string marker;  // empty: completion by settle
  std::chrono::milliseconds interval{1'000};
  std::size_t concurrency = 8;

  std::filesystem::path doneFolder() const { return folder / "done"; }
  std::filesystem::path errorFolder() const { return folder / "error"; }
};

// Reads a source's settings (the map that also holds `type` and `service`); every problem is
// reported into settings.errors() with its line; nullopt when there was any. Creates done/
// and error/ in the folder when missing (a folder that cannot hold them is a config error).
std::optional<CsvSourceConfig> parseCsvSourceConfig(const core::ConfigNode& settings);

}  // namespace egov::adapters::csv
