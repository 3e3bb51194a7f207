#include "core/mapping/lookup_table.hpp"

#include <algorithm>
#include <fstream>

#include "core/csv/csv_reader.hpp"

namespace egov::core {

Result<LookupTable> LookupTable::loadCsv(const std::filesystem::path& file,
                                         const CsvTableSpec& spec) {
  const std::string name = file.string();
  auto failure = [&](const std::string& reason) {
    return makeError(ErrorKind::bad_request, name + ": " + reason);
  };
  if (spec.key_column.empty()) return failure("no key column given");
  std::ifstream in(file, std::ios::binary);
  if (!in) return failure("cannot open file");

  CsvOptions options;
  options.delimiter = spec.delimiter;
  CsvReader reader(in, options);
  LookupTable table;

  auto header = reader.next(table.columns_);
  if (!header.ok()) return failure(header.error().message);
  if (!*header) return failure("empty file, a header row is required");
  const std::string header_line = "line " + std::to_string(reader.line()) + ": ";
  for (std::size_t i = 0; i < table.columns_.size(); ++i) {
    if (table.columnIndex(table.columns_[i]) != i) {
      return failure(header_line + "duplicate column '" + table.columns_[i] + "'");
    }
  }
  const std::size_t key_index = table.columnIndex(spec.key_column);
  if (key_index == table.columns_.size()) {
    return failure(header_line + "no key column '" + spec.key_column + "' in the header");
  }
  table.value_index_ = table.columnIndex(spec.value_column);
  if (table.value_index_ == table.columns_.size()) {
    return failure(header_line + "no value column '" + spec.value_column + "' in the header");
  }

  std::vector<std::string> fields;
  for (;;) {
    auto row = reader.next(fields);
    if (!row.ok()) return failure(row.error().message);
    if (!*row) break;
    const std::string line = "line " + std::to_string(reader.line()) + ": ";
    if (fields.size() != table.columns_.size()) {
      return failure(line + std::to_string(fields.size()) + " fields, the header has " +
                     std::to_string(table.columns_.size()));
    }
    std::string key = fields[key_index];
    if (auto seen = table.rows_.find(key); seen != table.rows_.end()) {
      return failure(line + "duplicate key '" + key + "' (first at line " +
                     std::to_string(seen->second.line) + ")");
    }
    table.rows_.emplace(std::move(key), Row{std::move(fields), reader.line()});
    fields = {};
  }
  return table;
}

std::size_t LookupTable::columnIndex(std::string_view column) const {
  return static_cast<std::size_t>(std::find(columns_.begin(), columns_.end(), column) -
                                  columns_.begin());
}

bool LookupTable::hasColumn(std::string_view column) const {
  return columnIndex(column) < columns_.size();
}

const std::string* LookupTable::find(std::string_view key) const {
  auto row = rows_.find(key);
  return row == rows_.end() ? nullptr : &row->second.fields[value_index_];
}

const std::string* LookupTable::find(std::string_view key, std::string_view column) const {
  const std::size_t index = columnIndex(column);
  if (index == columns_.size()) return nullptr;
  auto row = rows_.find(key);
  return row == rows_.end() ? nullptr : &row->second.fields[index];
}

const LookupTable* LookupTables::find(std::string_view name) const {
  auto table = tables_.find(name);
  return table == tables_.end() ? nullptr : &table->second;
}

}  // namespace egov::core
