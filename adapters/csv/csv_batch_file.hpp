// The blocking file work of the csv source (drop folder): scanning, fingerprinting, reading
// rows in bounded chunks, and the per-file result files. Everything here does file I/O and
// runs on the worker pool; each object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/csv/csv_source_config.hpp"
#include "core/common/result.hpp"
#include "core/csv/charset.hpp"
#include "core/csv/csv_reader.hpp"
#include "core/journal/journal.hpp"

namespace egov::adapters::csv {

struct FileIdentity {
  std::uintmax_t size = 0;
  std::filesystem::file_time_type mtime;
  bool operator==(const FileIdentity&) const = default;
};

// The files of the drop folder the source may take: regular files matching the pattern,
// not hidden (names starting with '.', as writers' temporary files are), not markers. With
// a marker configured, only files whose marker exists.
std::map<std::string, FileIdentity> listDropFolder(const CsvSourceConfig& config);

// One pass over the raw bytes: the SHA-256 that identifies the file, and its number of CSV
// records (header included), or the error that stops the reader (the file is still
// processed up to there, then goes to error/).
struct FileFingerprint {
  std::string sha256;        // hex
  std::int64_t records = 0;  // records read before the end or the error
  std::optional<core::Error> malformed;
};
core::Result<FileFingerprint> fingerprintFile(const std::filesystem::path& file, char delimiter);

struct CsvRow {
  std::int64_t number = 0;  // 1-based, header excluded
  std::size_t line = 0;     // physical line where the record starts
  std::vector<std::string> fields;
};

// Reads a drop file as UTF-8 records: the header (required, names non-empty and distinct),
// then rows in chunks. Memory holds one chunk, whatever the file size.
class CsvRowStream {
 public:
  // Errors (bad_request): no header, an empty or repeated column name, a read error.
  static core::Result<std::unique_ptr<CsvRowStream>> open(const std::filesystem::path& file,
                                                          const CsvSourceConfig& config);
  const std::vector<std::string>& header() const { return header_; }
  // Up to `max` rows; fewer (possibly none) at the end of the file. A malformed record or
  // an invalid byte for the charset ends the stream with that error ("line N: ...").
  core::Result<std::vector<CsvRow>> read(std::size_t max);
  // Reads past `rows` rows (already handed off by a previous run).
  core::Result<void> skip(std::int64_t rows);

 private:
  CsvRowStream(std::unique_ptr<std::ifstream> in, core::CharsetDecoder decoder, char delimiter);
  core::Result<bool> next(CsvRow& row);

  std::unique_ptr<std::ifstream> in_;
  std::unique_ptr<core::DecodingStreamBuf> decoded_;
  std::unique_ptr<std::istream> text_;
  core::CsvReader reader_;
  std::vector<std::string> header_;
  std::int64_t number_ = 0;
  std::optional<core::Error> error_;  // met while reading ahead
};

// A result file of one drop file (outcomes, rejects): appended under a hidden part name in
// done/, synced at every checkpoint, published under its final name when the file is
// finished. Each record's first field is the row number, so that a resumed run trims what
// its predecessor wrote after its last checkpoint and nothing appears twice.
class ResultFile {
 public:
  // Opens (or resumes) `part`; records of rows after `keep_rows` are dropped; the header is
  // written when the file is new.
  static core::Result<std::unique_ptr<ResultFile>> open(std::filesystem::path part,
                                                        const std::vector<std::string>& header,
                                                        char delimiter, std::int64_t keep_rows);
  ~ResultFile();
  core::Result<void> append(const std::string& records);
  core::Result<void> sync();
  std::int64_t records() const { return records_; }
  // Syncs, closes and renames to `final_path` (folder synced too).
  core::Result<void> publish(const std::filesystem::path& final_path);
  // The same for a part file left complete by a run that recorded its file as finished.
  static core::Result<void> publishPart(const std::filesystem::path& part,
                                        const std::filesystem::path& final_path);

 private:
  ResultFile(std::filesystem::path part, std::FILE* file, std::int64_t records)
      : part_(std::move(part)), file_(file), records_(records) {}
  std::filesystem::path part_;
  std::FILE* file_;
  std::int64_t records_;  // data records, header excluded
};

// Renames `from` into `folder` under its own name, or with ".<suffix>" added when that name
// is taken; the folder is synced. Returns the new path.
core::Result<std::filesystem::path> moveInto(const std::filesystem::path& from,
                                             const std::filesystem::path& folder,
                                             const std::string& suffix);

// The results file of kind `kind` ("outcomes", "rejects") of a file being read, in the done
// folder under a hidden name until it is published.
std::filesystem::path resultPartPath(const CsvSourceConfig& config, const std::string& name,
                                     const std::string& hash, const char* kind);

// Once a file's state is final: its results files published beside it (a rejects file only
// when rows were rejected; `.<hash prefix>` added to a name already taken) and the file moved
// into the done or error folder, its marker removed. Blocking: the worker pool.
core::Result<void> publishResults(const CsvSourceConfig& config, const std::filesystem::path& file,
                                  const core::BatchFile& batch);

}  // namespace egov::adapters::csv
