#include "core/csv/csv_reader.hpp"

#include <string>
#include <utility>

namespace egov::core {
namespace {

constexpr int kEof = std::char_traits<char>::eof();

}  // namespace

CsvReader::CsvReader(std::istream& in, CsvOptions options) : in_(in.rdbuf()), options_(options) {}

// Every byte goes through get(), so line counting lives in one place: LF ends a line, and so
// does a CR not followed by LF (old Mac exports); a CRLF counts once, on its LF.
int CsvReader::get() {
  if (in_ == nullptr) return kEof;
  const int c = in_->sbumpc();
  if (c == '\n' || (c == '\r' && in_->sgetc() != '\n')) ++current_line_;
  return c;
}

int CsvReader::peek() {
  return in_ == nullptr ? kEof : in_->sgetc();
}

Error CsvReader::fail(std::size_t line, std::string reason) {
  failed_ = true;
  error_ = makeError(ErrorKind::bad_request, "line " + std::to_string(line) + ": " + reason);
  return error_;
}

Result<bool> CsvReader::next(std::vector<std::string>& fields) {
  if (failed_) return error_;
  fields.clear();

  if (!started_) {
    started_ = true;
    // A BOM is three bytes; a file starting with 0xEF that is not a BOM is not UTF-8 text
    // we could read anyway, so consuming a partial match loses nothing worth keeping.
    if (peek() == 0xEF) {
      get();
      if (get() != 0xBB || get() != 0xBF) return fail(1, "invalid byte order mark");
    }
  }

  // Blank lines carry no record (see the header).
  for (int c = peek(); c == '\r' || c == '\n'; c = peek()) get();
  if (peek() == kEof) return false;

  record_line_ = current_line_;
  std::size_t record_bytes = 0;
  const int delimiter = static_cast<unsigned char>(options_.delimiter);
  std::string field;

  auto take = [&]() -> int {
    ++record_bytes;
    return get();
  };
  auto append = [&](int c) -> bool {
    field.push_back(static_cast<char>(c));
    return field.size() <= options_.max_field_bytes && record_bytes <= options_.max_record_bytes;
  };
  auto limitError = [&]() {
    if (record_bytes > options_.max_record_bytes) {
      return fail(record_line_,
                  "record longer than " + std::to_string(options_.max_record_bytes) + " bytes");
    }
    return fail(current_line_,
                "field longer than " + std::to_string(options_.max_field_bytes) + " bytes");
  };

  for (;;) {
    field.clear();
    int c = peek();
    if (c == '"') {
      const std::size_t opened_at = current_line_;
      take();
      for (;;) {
        c = take();
        if (c == kEof) {
          return fail(opened_at, "quoted field is not closed at end of input");
        }
        if (c == '"') {
          if (peek() != '"') break;
          take();
        }
        if (!append(c)) return limitError();
      }
      c = peek();
      if (c != delimiter && c != '\r' && c != '\n' && c != kEof) {
        return fail(current_line_, std::string("unexpected character '") + static_cast<char>(c) +
                                       "' after closing quote");
      }
    } else {
      while (c != delimiter && c != '\r' && c != '\n' && c != kEof) {
        if (!append(take())) return limitError();
        c = peek();
      }
    }
    if (fields.size() == options_.max_fields) {
      return fail(record_line_, "more than " + std::to_string(options_.max_fields) + " fields");
    }
    fields.push_back(std::move(field));
    if (c != delimiter) break;
    take();
  }

  // End of record: consume CRLF, LF or CR (or nothing at end of input).
  if (peek() == '\r') get();
  if (peek() == '\n') get();
  return true;
}

}  // namespace egov::core
