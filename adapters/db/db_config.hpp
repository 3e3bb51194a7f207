// Typed settings of a `db` endpoint and their parser. A parsed DbConfig is immutable and
// shared read-only by the I/O threads (XPath) and the worker threads (SQL).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_node.hpp"
#include "core/engine/route.hpp"

namespace egov::adapters::db {

enum class DbDriverType { sqlite, postgresql };

// One parameter of a statement: an XPath 1.0 expression on the canonical body (prefix `fn`
// for the JSON representation). Its string value is bound; an empty node-set binds NULL.
struct DbParam {
  std::string name;
  std::string xpath;  // as written, for messages
  core::XPathPtr expr;
  // N when the XPath is `*[N]`, the N-th element child of the context node (a field by
  // position, the way a CSV chunk's rows are read): found by walking the children instead
  // of libxml2's evaluator, with the same value. 0 for any other XPath.
  int child_element = 0;
};

// N for an XPath of the form `*[N]` (blanks allowed around the tokens, N from 1 to 999999
// written without leading zeros), else 0.
int positionalChild(std::string_view xpath);

struct DbStatement {
  std::string name;
  std::string sql;              // as configured, with :name placeholders
  std::string driver_sql;       // with the driver's positional placeholders (?1 or $1)
  std::vector<DbParam> params;  // in bind order: params[i] binds position i + 1
  // `for_each`: an XPath selecting nodes of the body; the statement then runs once per node,
  // in document order and in the call's one transaction, each param's XPath evaluated with
  // that node as its context. Null for a statement that runs once.
  std::string for_each_xpath;
  core::XPathPtr for_each;
};

struct DbConfig {
  DbDriverType driver = DbDriverType::sqlite;
  std::string path;        // sqlite: absolute (relative ones are resolved against the YAML file)
  bool read_only = false;  // sqlite: `mode: ro`
  std::string dsn;         // postgresql: libpq conninfo or URI; a secret, never logged
  std::size_t pool_max = 4;
  std::chrono::milliseconds connect_timeout{3'000};
  std::chrono::milliseconds statement_timeout{10'000};
  std::vector<DbStatement> statements;  // at least one

  const DbStatement* find(std::string_view name) const;
};

// Reads an endpoint's settings (the map that also holds `type: db`): unknown keys, missing
// keys, wrong types, bad SQL placeholders, placeholders without a param (and params without
// a placeholder) and XPaths that do not compile are reported into settings.errors() with
// their line. Returns nullopt when there was any. Does not open the database.
std::optional<DbConfig> parseDbConfig(const core::ConfigNode& settings);

std::string_view driverName(DbDriverType driver);

}  // namespace egov::adapters::db
