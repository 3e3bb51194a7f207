// An RFC 4180 CSV reader over a std::istream, with hard limits so that a hostile or
// broken export cannot make the bus allocate without bound.
//
// Accepted beyond the letter of RFC 4180, because municipal exports do it:
//  - the delimiter may be ',' ';' or '\t' (Italian Excel writes ';');
//  - records may end with CRLF, LF or a lone CR; the last record may lack an end of line;
//  - a UTF-8 byte order mark at the very start is skipped;
//  - a '"' inside an unquoted field is kept literally (12" pipe), as most readers do;
//  - empty lines are skipped rather than read as a record with one empty field.
// Refused, with "line N: reason" (ErrorKind::bad_request): text after a closing quote
// (`"a"b`), a quoted field still open at end of input, a field or record over the limits.
// Bytes are returned as they are: charset conversion is the caller's business.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace egov::core {

struct CsvOptions {
  char delimiter = ',';
  std::size_t max_field_bytes = 64 * 1024;     // one field, after unquoting
  std::size_t max_record_bytes = 1024 * 1024;  // one record as read, quotes and delimiters included
  std::size_t max_fields = 4096;               // fields in one record
};

// Reads one record at a time. Not thread-safe; one reader per stream. The stream must outlive
// the reader. After an error the reader is finished: next() keeps returning that error.
class CsvReader {
 public:
  CsvReader(std::istream& in, CsvOptions options = {});

  // Reads the next record into `fields` (replacing its content). true: a record was read;
  // false: end of input; an Error: malformed input or a limit was hit.
  Result<bool> next(std::vector<std::string>& fields);

  // 1-based physical line where the record last returned by next() started; 0 before the first.
  std::size_t line() const { return record_line_; }

 private:
  bool fill();
  int get();
  int peek();
  // Moves the bytes at the reader's position up to the first `stop`, CR or LF (or the end of
  // what is buffered) into `field`, at most `most` of them; returns how many.
  std::size_t takeRun(std::string& field, char stop, std::size_t most);
  Error fail(std::size_t line, std::string reason);

  std::streambuf* in_;
  // Bytes taken from the stream's own buffer and not read yet: buffer_[pos_, end_).
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  CsvOptions options_;
  std::size_t current_line_ = 1;  // physical line of the next byte to read
  std::size_t record_line_ = 0;
  bool started_ = false;
  bool failed_ = false;
  Error error_;
};

// Counts the records a CsvReader with the same options would read from a text given in
// pieces, without building them: a state machine over the same grammar taking runs of bytes
// (an unquoted field to its delimiter, a quoted one to its next quote), a fraction of the
// reader's cost. It vouches only for input the reader reads without an error:
// on anything the reader could refuse (a bad byte order mark, text after a closing quote, a
// quoted field open at the end, a record long or wide enough that a limit might be hit),
// ok() is false and the caller reads the input with a CsvReader instead.
class CsvRecordCounter {
 public:
  explicit CsvRecordCounter(CsvOptions options = {});
  void feed(const char* data, std::size_t size);
  // After the last piece: true when records() is what the reader would count.
  bool finish();
  bool ok() const { return !unsure_; }
  std::size_t records() const { return records_; }

 private:
  enum class State { between, field_start, unquoted, quoted, quote_in_quoted };
  CsvOptions options_;
  State state_ = State::between;
  std::size_t bom_seen_ = 0;  // bytes of a leading byte order mark checked so far
  bool started_ = false;
  bool unsure_ = false;
  std::size_t records_ = 0;
  std::size_t record_bytes_ = 0;  // of the current record as read, ends of line excluded
  std::size_t fields_ = 0;        // of the current record
};

}  // namespace egov::core
