// `:name` placeholders in configured SQL, rewritten into the driver's positional form, so
// values are always bound and never spliced into the text. Control plane: runs at load.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace egov::adapters::db {

enum class PlaceholderStyle {
  sqlite,    // ?1, ?2, ...
  postgres,  // $1, $2, ...
};

struct TranslatedSql {
  std::string sql;                 // the text with every :name replaced by its position
  std::vector<std::string> names;  // distinct names; names[i] binds position i + 1
  std::string error;               // non-empty when the text cannot be used as written
};

// Scans `sql` skipping string literals ('...', E'...'), quoted identifiers ("..."),
// comments (-- and /* */), PostgreSQL dollar-quoted strings ($tag$...$tag$) and `::` casts.
// A name used twice gets one position. Positional or other native placeholders (`?`, `$1`,
// `@x`) are refused: a statement mixing them with named ones would bind values by accident.
TranslatedSql translatePlaceholders(std::string_view sql, PlaceholderStyle style);

}  // namespace egov::adapters::db
