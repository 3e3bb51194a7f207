// An RFC 4180 CSV writer, and a file that appears under its final name only once complete.
//
// A field is quoted when it holds the delimiter, a quote, CR or LF, or starts or ends with a
// blank (readers that trim would otherwise change it); quotes inside are doubled. Records end
// with CRLF (RFC 4180) or LF. Text is written as given: UTF-8 from the canonical body.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace egov::core {

struct CsvWriteOptions {
  char delimiter = ',';
  bool crlf = true;  // false: LF, for consumers that read Unix text files
};

bool csvNeedsQuotes(std::string_view field, char delimiter);
// Appends one record, with its end of line, to `out`.
void appendCsvRecord(std::string& out, std::span<const std::string> fields,
                     const CsvWriteOptions& options);
void appendCsvRecord(std::string& out, std::span<const std::string_view> fields,
                     const CsvWriteOptions& options);

// Writes a CSV file next to its final place and publishes it by renaming: a consumer watching
// the folder sees either no file or the complete one, never a partial file under the final
// name (the temporary name starts with '.' and ends with ".tmp", which watchers skip).
// A writer that is destroyed unpublished removes its temporary file. One thread at a time;
// blocking I/O, so on the data path it runs on the worker pool.
// Errors are ErrorKind::backend_unavailable ("<path>: <reason>"): the folder is the back-end,
// and a full disk or a missing mount may well clear by the next attempt.
class CsvFileWriter {
 public:
  // Creates the temporary file in final_path's folder (which must exist).
  static Result<CsvFileWriter> create(std::filesystem::path final_path, CsvWriteOptions options);

  CsvFileWriter(CsvFileWriter&& other) noexcept;
  CsvFileWriter& operator=(CsvFileWriter&&) = delete;
  ~CsvFileWriter();

  Result<void> write(std::span<const std::string> fields);
  // Flushes, fsyncs and closes the file, renames it to the final name (replacing a file of
  // that name: a retried exchange rewrites its own file) and fsyncs the folder so that the
  // rename survives a crash. The writer is done afterwards, whatever the outcome.
  Result<void> publish();

  const std::filesystem::path& finalPath() const { return final_path_; }
  const std::filesystem::path& tempPath() const { return temp_path_; }
  std::size_t records() const { return records_; }

  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };

 private:
  CsvFileWriter(std::filesystem::path final_path, std::filesystem::path temp_path,
                std::unique_ptr<std::FILE, FileCloser> file, CsvWriteOptions options);
  Error fail(const std::filesystem::path& path, std::string reason);
  void discard();

  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;
  std::unique_ptr<std::FILE, FileCloser> file_;  // null once published or discarded
  CsvWriteOptions options_;
  std::string record_;  // reused for every record
  std::size_t records_ = 0;
};

}  // namespace egov::core
