// The in-memory index of a lookup file: every row, by the values of its key columns. Built by
// streaming the file once (charset conversion and CSV parsing through bounded buffers), then
// immutable and shared read-only by every call on any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/csv/csv_config.hpp"
#include "core/common/result.hpp"

namespace egov::adapters::csv {

// What tells one version of a file from the next: a new file renamed over the old one has a
// new inode; one rewritten in place has a new size or modification time.
struct FileSignature {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  bool operator==(const FileSignature&) const = default;
};

// nullopt when the file cannot be stat'ed (missing, no permission). Blocking.
std::optional<FileSignature> fileSignature(const std::filesystem::path& file);

class CsvIndex {
 public:
  // Blocking: control plane, or the worker pool. Errors (ErrorKind::bad_request) name the file
  // and the line or byte offset: unreadable file, invalid bytes for the charset, malformed CSV,
  // no header, a duplicate or missing key column, a row whose field count differs from the
  // header, a control character XML cannot carry.
  // When given, `key_at_fault` tells whether the error is about the `key` setting (a key
  // column absent from the header) rather than the file, so config errors point at it.
  static core::Result<std::shared_ptr<const CsvIndex>> load(const CsvLookupConfig& config,
                                                            bool* key_at_fault = nullptr);

  // Indexes of the rows whose key columns equal `key` (values in config.key order), in file
  // order; empty when none. Exact, case-sensitive comparison.
  std::vector<std::size_t> find(std::span<const std::string> key) const;

  const std::vector<std::string>& columns() const { return columns_; }
  std::span<const std::string> row(std::size_t index) const {
    return {cells_.data() + index * columns_.size(), columns_.size()};
  }
  std::size_t size() const { return rows_; }
  const FileSignature& signature() const { return signature_; }

 private:
  // One string per key: the values themselves for a one-column key, length-prefixed values
  // for a composite one (so that ("a;b","c") and ("a","b;c") never collide).
  static void appendKey(std::string& out, std::span<const std::string> values);

  std::vector<std::string> columns_;
  std::vector<std::size_t> key_columns_;
  std::vector<std::string> cells_;  // row-major: row r is cells_[r * columns_.size() ...]
  std::size_t rows_ = 0;
  std::unordered_multimap<std::string, std::size_t> by_key_;
  FileSignature signature_;
};

}  // namespace egov::adapters::csv
