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
//       concurrency: 8               # exchanges in flight at once (default 8)
//       rows_per_exchange: 1000      # chunk mode: up to N rows per exchange (default 1)
//
// rows_per_exchange 1 (the default): each row is one exchange, body <row>. N > 1: each
// exchange's body is <rows first=".." last=".."> holding up to N rows; a rejected chunk is
// retried row by row (one-row <rows> bodies) so every row still gets its own outcome.
// At most kMaxRowsPerExchange: a chunk is one body in memory (its XML tree and what the
// route's mappings build from it), `concurrency` of them at once.
//
// The folder's done/ and error/ sub-folders are created at load when missing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/config/config_node.hpp"
#include "core/csv/charset.hpp"

namespace egov::adapters::csv {

// The largest rows_per_exchange: at about 1 KB of XML tree per row of a few fields, a chunk
// of 10,000 rows is ~10 MB in memory before the route maps it, and `concurrency` chunks are
// in flight. Larger chunks save nothing measurable: at 1,000 rows the per-exchange cost is
// already under 1% of the per-row cost (BENCHMARKS.md, B3).
inline constexpr std::int64_t kMaxRowsPerExchange = 10'000;

struct CsvSourceConfig {
  std::filesystem::path folder;  // absolute
  std::string pattern = "*.csv";
  char delimiter = ',';
  core::Charset charset = core::Charset::utf8;
  std::chrono::milliseconds settle{2'000};
  std::string marker;  // empty: completion by settle
  std::chrono::milliseconds interval{1'000};
  std::size_t concurrency = 8;
  std::size_t rows_per_exchange = 1;

  std::filesystem::path doneFolder() const { return folder / "done"; }
  std::filesystem::path errorFolder() const { return folder / "error"; }
};

// Reads a source's settings (the map that also holds `type` and `service`); every problem is
// reported into settings.errors() with its line; nullopt when there was any. Creates done/
// and error/ in the folder when missing (a folder that cannot hold them is a config error).
std::optional<CsvSourceConfig> parseCsvSourceConfig(const core::ConfigNode& settings);

}  // namespace egov::adapters::csv
