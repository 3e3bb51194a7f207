// Code lists that mappings translate through (e.g. a vendor's tax codes to the canonical
// ones), loaded from CSV when a config generation is built and read-only afterwards.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/common/result.hpp"

namespace egov::core {

struct CsvTableSpec {
  std::string key_column;              // header name of the key column; required
  std::string value_column = "value";  // column that lookup(table, key) returns
  char delimiter = ',';
};

// One table: a header row names the columns, each further row is one key. Immutable after
// loadCsv, so any number of threads may read it.
class LookupTable {
 public:
  // Control plane. Errors (ErrorKind::bad_request, "<file>: line N: reason" or "<file>: reason"):
  // unreadable file, malformed CSV, missing header, key or value column not in the header,
  // duplicate column name, a row whose field count differs from the header, duplicate key.
  static Result<LookupTable> loadCsv(const std::filesystem::path& file, const CsvTableSpec& spec);

  // The value column of `key`'s row, or null when the key is absent.
  const std::string* find(std::string_view key) const;
  // Column `column` of `key`'s row; null when the key is absent or the column unknown
  // (hasColumn tells the two apart).
  const std::string* find(std::string_view key, std::string_view column) const;

  bool hasColumn(std::string_view column) const;
  const std::vector<std::string>& columns() const { return columns_; }
  std::size_t size() const { return rows_.size(); }

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  std::size_t columnIndex(std::string_view column) const;  // columns_.size() when unknown

  std::vector<std::string> columns_;
  std::size_t value_index_ = 0;
  struct Row {
    std::vector<std::string> fields;
    std::size_t line = 0;  // in the CSV file, to name both lines of a duplicate key
  };
  std::unordered_map<std::string, Row, KeyHash, std::equal_to<>> rows_;
};

// The tables of one config generation, by name. Built once at config load, then shared
// read-only (through MappingContext) by every mapping call on any thread.
class LookupTables {
 public:
  LookupTables() = default;
  explicit LookupTables(std::map<std::string, LookupTable, std::less<>> tables)
      : tables_(std::move(tables)) {}

  // The table called `name`, or null.
  const LookupTable* find(std::string_view name) const;
  std::size_t size() const { return tables_.size(); }

 private:
  std::map<std::string, LookupTable, std::less<>> tables_;
};

}  // namespace egov::core
