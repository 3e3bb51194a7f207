#include "core/csv/csv_reader.hpp"

#include "core/csv/byte_scan.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace egov::core {
namespace {

constexpr int kEof = std::char_traits<char>::eof();

}  // namespace

CsvReader::CsvReader(std::istream& in, CsvOptions options) : in_(in.rdbuf()), options_(options) {}

// Takes what the stream has already buffered, at least one byte, never more: the stream is
// asked for more input only when the reader needs its next byte, as when it read byte by
// byte, so a stream that fails part-way (a charset error) fails on the same record. Reading
// runs of bytes out of this buffer is what makes the reader fast: through sbumpc() and
// push_back() a byte cost about 80 instructions.
bool CsvReader::fill() {
  if (pos_ < end_) return true;
  if (in_ == nullptr || in_->sgetc() == kEof) return false;
  constexpr std::streamsize kMost = 64 * 1024;
  const std::streamsize n = std::clamp<std::streamsize>(in_->in_avail(), 1, kMost);
  if (buffer_.size() < static_cast<std::size_t>(n)) buffer_.resize(static_cast<std::size_t>(n));
  pos_ = 0;
  end_ = static_cast<std::size_t>(std::max<std::streamsize>(in_->sgetn(buffer_.data(), n), 0));
  return end_ > 0;
}

// Every byte goes through get() or takeRun(), and takeRun() never takes a CR or LF, so line
// counting lives here: LF ends a line, and so does a CR not followed by LF (old Mac
// exports); a CRLF counts once, on its LF.
int CsvReader::get() {
  if (!fill()) return kEof;
  const int c = static_cast<unsigned char>(buffer_[pos_++]);
  if (c == '\n' || (c == '\r' && peek() != '\n')) ++current_line_;
  return c;
}

int CsvReader::peek() {
  return fill() ? static_cast<unsigned char>(buffer_[pos_]) : kEof;
}

std::size_t CsvReader::takeRun(std::string& field, char stop, std::size_t most) {
  const char* begin = buffer_.data() + pos_;
  const char* end = begin + std::min(end_ - pos_, most);
  const char* at = begin;
  while (at < end && *at != stop && *at != '\r' && *at != '\n') ++at;
  const auto n = static_cast<std::size_t>(at - begin);
  field.append(begin, n);
  pos_ += n;
  return n;
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
  auto withinLimits = [&]() {
    return field.size() <= options_.max_field_bytes && record_bytes <= options_.max_record_bytes;
  };
  auto append = [&](int c) -> bool {
    field.push_back(static_cast<char>(c));
    return withinLimits();
  };
  // The run of ordinary bytes at the reader's position, cut where one more byte would break
  // a limit, so that a limit is reported at the byte it was when bytes were read one by one.
  auto appendRun = [&](char stop) -> bool {
    const std::size_t room =
        std::min(options_.max_field_bytes - std::min(field.size(), options_.max_field_bytes),
                 options_.max_record_bytes - std::min(record_bytes, options_.max_record_bytes));
    // One byte past the room (none past a limit of SIZE_MAX, which cannot be broken).
    record_bytes += takeRun(field, stop, room == SIZE_MAX ? room : room + 1);
    return withinLimits();
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
        c = peek();
        if (c != '"' && c != '\r' && c != '\n' && c != kEof) {
          if (!appendRun('"')) return limitError();
          continue;
        }
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
        if (!appendRun(options_.delimiter)) return limitError();
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

CsvRecordCounter::CsvRecordCounter(CsvOptions options) : options_(options) {}

void CsvRecordCounter::feed(const char* data, std::size_t size) {
  const char* at = data;
  const char* end = data + size;
  // A leading byte order mark: EF BB BF, skipped; a first byte EF followed by anything else is
  // an error for the reader.
  if (!started_) {
    static constexpr unsigned char kBom[] = {0xEF, 0xBB, 0xBF};
    while (at < end && bom_seen_ < 3) {
      const auto byte = static_cast<unsigned char>(*at);
      if (bom_seen_ == 0 && byte != kBom[0]) break;
      if (byte != kBom[bom_seen_]) {
        unsure_ = true;
        return;
      }
      ++bom_seen_;
      ++at;
    }
    if (at == end && bom_seen_ < 3) return;  // nothing yet, or the mark's rest comes next
    started_ = true;
  }
  if (unsure_) return;
  // Bounds under which no limit of the reader can be hit: a field is never longer than its
  // record as read (quotes, delimiters and quoted ends of line included, as the reader counts).
  const std::size_t most_bytes = std::min(options_.max_field_bytes, options_.max_record_bytes);
  const char delimiter = options_.delimiter;
  const auto grew = [&](std::size_t bytes) {
    record_bytes_ += bytes;
    if (record_bytes_ > most_bytes) unsure_ = true;
    return !unsure_;
  };
  const auto nextField = [&] {
    if (++fields_ > options_.max_fields) unsure_ = true;
    state_ = State::field_start;
    return !unsure_;
  };
  // Runs of bytes in tight loops: an unquoted field up to its delimiter or end of line, a
  // quoted one up to its next quote.
  while (at < end) {
    switch (state_) {
      case State::between:
        while (at < end && (*at == '\r' || *at == '\n')) ++at;
        if (at == end) return;
        ++records_;
        record_bytes_ = 0;
        fields_ = 1;
        state_ = State::field_start;
        break;
      case State::field_start:
        if (*at == '"') {
          ++at;
          if (!grew(1)) return;
          state_ = State::quoted;
        } else {
          state_ = State::unquoted;  // a quote further on is kept literally
        }
        break;
      case State::unquoted: {
        const char* from = at;
        for (; end - at >= 8; at += 8) {
          const std::uint64_t word = byte_scan::load(at);
          if (byte_scan::has(word, delimiter) || byte_scan::has(word, '\r') ||
              byte_scan::has(word, '\n')) {
            break;
          }
        }
        while (at < end && *at != delimiter && *at != '\r' && *at != '\n') ++at;
        if (!grew(static_cast<std::size_t>(at - from)) || at == end) return;
        if (*at == delimiter) {
          ++at;
          if (!grew(1) || !nextField()) return;
        } else {
          state_ = State::between;
        }
        break;
      }
      case State::quoted: {
        const auto* quote = static_cast<const char*>(std::memchr(at, '"', end - at));
        const char* stop = quote ? quote + 1 : end;
        if (!grew(static_cast<std::size_t>(stop - at))) return;
        at = stop;
        if (quote) state_ = State::quote_in_quoted;
        break;
      }
      case State::quote_in_quoted:
        if (*at == '"') {  // a doubled quote
          ++at;
          if (!grew(1)) return;
          state_ = State::quoted;
        } else if (*at == delimiter) {
          ++at;
          if (!grew(1) || !nextField()) return;
        } else if (*at == '\r' || *at == '\n') {
          state_ = State::between;
        } else {
          unsure_ = true;  // text after a closing quote
          return;
        }
        break;
    }
  }
}

bool CsvRecordCounter::finish() {
  if (!started_ && bom_seen_ > 0) unsure_ = true;  // a byte order mark cut short
  if (state_ == State::quoted) unsure_ = true;     // a quoted field still open
  return !unsure_;
}

}  // namespace egov::core
