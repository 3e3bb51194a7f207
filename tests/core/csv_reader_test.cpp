#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "core/csv/csv_reader.hpp"

using namespace egov::core;

namespace {

using Records = std::vector<std::vector<std::string>>;

// Reads all records; on error returns the records so far and sets `error`.
Records readAll(const std::string& text, CsvOptions options = {}, std::string* error = nullptr) {
  std::istringstream in(text);
  CsvReader reader(in, options);
  Records records;
  std::vector<std::string> fields;
  for (;;) {
    auto more = reader.next(fields);
    if (!more.ok()) {
      if (error != nullptr) *error = more.error().message;
      CHECK(more.error().kind == ErrorKind::bad_request);
      return records;
    }
    if (!*more) return records;
    records.push_back(fields);
  }
}

// A stream buffer that hands out its text in pieces of the given sizes (repeated), or,
// with `unbuffered`, one byte per call of uflow() and no get area at all. Counts the times
// it was asked for more input.
class PieceBuf : public std::streambuf {
 public:
  PieceBuf(std::string text, std::vector<std::size_t> pieces, bool unbuffered = false)
      : text_(std::move(text)), pieces_(std::move(pieces)), unbuffered_(unbuffered) {}
  int asked = 0;

 protected:
  int_type underflow() override {
    ++asked;
    if (unbuffered_) {
      return at_ < text_.size() ? traits_type::to_int_type(text_[at_]) : traits_type::eof();
    }
    if (at_ >= text_.size()) return traits_type::eof();
    const std::size_t n = std::min(pieces_[piece_++ % pieces_.size()], text_.size() - at_);
    setg(text_.data() + at_, text_.data() + at_, text_.data() + at_ + n);
    at_ += n;
    return traits_type::to_int_type(*gptr());
  }
  int_type uflow() override {
    if (!unbuffered_) return std::streambuf::uflow();
    const int_type c = underflow();
    if (c != traits_type::eof()) ++at_;
    return c;
  }

 private:
  std::string text_;
  std::vector<std::size_t> pieces_;
  bool unbuffered_;
  std::size_t at_ = 0;
  std::size_t piece_ = 0;
};

// Every record with its line, then the error or "end", as one text.
std::string transcript(std::istream& in, CsvOptions options) {
  CsvReader reader(in, options);
  std::string out;
  std::vector<std::string> fields;
  for (;;) {
    auto more = reader.next(fields);
    if (!more.ok()) return out + more.error().message;
    if (!*more) return out + "end";
    out += std::to_string(reader.line()) + ":";
    for (const auto& field : fields) out += "[" + field + "]";
    out += "\n";
  }
}

std::string errorOf(const std::string& text, CsvOptions options = {}) {
  std::string error;
  readAll(text, options, &error);
  return error;
}

}  // namespace

TEST_CASE("csv reads plain records with LF, CRLF and a missing final newline") {
  CHECK(readAll("a,b,c\n1,2,3\n") == Records{{"a", "b", "c"}, {"1", "2", "3"}});
  CHECK(readAll("a,b\r\n1,2\r\n") == Records{{"a", "b"}, {"1", "2"}});
  CHECK(readAll("a,b\n1,2") == Records{{"a", "b"}, {"1", "2"}});
  CHECK(readAll("a,b\r1,2\r") == Records{{"a", "b"}, {"1", "2"}});
  CHECK(readAll("").empty());
}

TEST_CASE("csv keeps empty fields, leading and trailing") {
  CHECK(readAll(",a,,\n") == Records{{"", "a", "", ""}});
  CHECK(readAll("\"\"\n") == Records{{""}});
}

TEST_CASE("csv skips blank lines") {
  CHECK(readAll("\n\na\n\r\n\nb\n\n") == Records{{"a"}, {"b"}});
}

TEST_CASE("csv unquotes fields with escaped quotes, delimiters and newlines") {
  auto records = readAll("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"crlf\r\nkept\"\nnext,row\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0] == std::vector<std::string>{"a,b", "say \"hi\"", "two\nlines", "crlf\r\nkept"});
  CHECK(records[1] == std::vector<std::string>{"next", "row"});
}

TEST_CASE("csv keeps a quote inside an unquoted field literally") {
  CHECK(readAll("tubo 12\" ferro,x\n") == Records{{"tubo 12\" ferro", "x"}});
}

TEST_CASE("csv skips a UTF-8 byte order mark only at the start") {
  CHECK(readAll("\xEF\xBB\xBFistat,nome\n") == Records{{"istat", "nome"}});
  CHECK(readAll("a\n\xEF\xBB\xBF"
                "b\n") == Records{{"a"},
                                  {"\xEF\xBB\xBF"
                                   "b"}});
  CHECK(errorOf("\xEF\x41\n").find("line 1: invalid byte order mark") == 0);
}

TEST_CASE("csv reads semicolon and tab delimited files") {
  CsvOptions semicolon;
  semicolon.delimiter = ';';
  CHECK(readAll("a;\"b;c\";d,e\n", semicolon) == Records{{"a", "b;c", "d,e"}});
  CsvOptions tab;
  tab.delimiter = '\t';
  CHECK(readAll("a\tb c\t\"d\te\"\n", tab) == Records{{"a", "b c", "d\te"}});
}

TEST_CASE("csv line() is the line where the record started, across quoted newlines") {
  std::istringstream in("h1,h2\n\n\"multi\nline\",x\r\nlast,y\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  CHECK(reader.line() == 0);
  REQUIRE(*reader.next(fields));
  CHECK(reader.line() == 1);
  REQUIRE(*reader.next(fields));
  CHECK(reader.line() == 3);
  REQUIRE(*reader.next(fields));
  CHECK(reader.line() == 5);
  CHECK(fields == std::vector<std::string>{"last", "y"});
  auto end = reader.next(fields);
  REQUIRE(end.ok());
  CHECK(!*end);
}

TEST_CASE("csv refuses text after a closing quote, naming the line") {
  CHECK(errorOf("ok\n\"a\"b,c\n") == "line 2: unexpected character 'b' after closing quote");
  CHECK(errorOf("\"a\" ,b\n") == "line 1: unexpected character ' ' after closing quote");
}

TEST_CASE("csv refuses a quoted field left open, naming the line it opened on") {
  CHECK(errorOf("a,b\nc,\"open\nstill open\nand more") ==
        "line 2: quoted field is not closed at end of input");
}

TEST_CASE("csv enforces the field, record and field-count limits") {
  CsvOptions options;
  options.max_field_bytes = 4;
  CHECK(readAll("abcd,1234\n", options) == Records{{"abcd", "1234"}});
  CHECK(errorOf("ok\nabcde\n", options) == "line 2: field longer than 4 bytes");
  CHECK(errorOf("ok\n\"ab\"\"cd\"\n", options) == "line 2: field longer than 4 bytes");

  options = {};
  options.max_record_bytes = 10;
  CHECK(readAll("1,2,3,4,5\n", options).size() == 1);
  CHECK(errorOf("a\n12345,123456\n", options) == "line 2: record longer than 10 bytes");
  CHECK(errorOf("\"a\nb\nc\nd\ne\nf\"\n", options) == "line 1: record longer than 10 bytes");

  options = {};  // limits of SIZE_MAX: nothing to break
  options.max_field_bytes = SIZE_MAX;
  options.max_record_bytes = SIZE_MAX;
  CHECK(readAll("abc,\"d\"\"e\"\n", options) == Records{{"abc", "d\"e"}});

  options = {};
  options.max_fields = 3;
  CHECK(readAll("a,b,c\n", options).size() == 1);
  CHECK(errorOf("a,b,c,d\n", options) == "line 1: more than 3 fields");
}

TEST_CASE("csv reader stays failed after an error") {
  std::istringstream in("\"a\"x\nb\n");
  CsvReader reader(in);
  std::vector<std::string> fields;
  CHECK(!reader.next(fields).ok());
  auto again = reader.next(fields);
  REQUIRE(!again.ok());
  CHECK(again.error().message == "line 1: unexpected character 'x' after closing quote");
}

TEST_CASE("csv reads the same records, lines and errors whatever pieces the stream gives") {
  // Random texts of the characters that matter, read whole, in pieces of 1 to 7 bytes, and
  // byte by byte from a stream without a buffer; small limits, so that they are hit inside
  // runs of ordinary bytes and at piece boundaries.
  std::mt19937 random(20261127);
  const std::string alphabet = "ab,;\"\r\n\xEF";
  for (int round = 0; round < 3000; ++round) {
    std::string text(random() % 48, ' ');
    for (auto& c : text) c = alphabet[random() % (round % 2 ? alphabet.size() : 4)];
    CsvOptions options;
    options.delimiter = round % 3 == 0 ? ';' : ',';
    options.max_field_bytes = 1 + random() % 12;
    options.max_record_bytes = 1 + random() % 24;
    options.max_fields = 1 + random() % 6;
    CAPTURE(text);
    std::istringstream whole(text);
    const std::string expected = transcript(whole, options);
    PieceBuf pieces(text, {1 + random() % 7, 1 + random() % 7, 1 + random() % 7});
    std::istream in_pieces(&pieces);
    CHECK(transcript(in_pieces, options) == expected);
    PieceBuf bytes(text, {1}, true);
    std::istream in_bytes(&bytes);
    CHECK(transcript(in_bytes, options) == expected);
  }
}

TEST_CASE("csv asks the stream for more input only when it needs the next byte") {
  // A stream that fails part-way (a charset error in its second piece) must not cost the
  // records before it: the reader returns them before it reads that piece.
  PieceBuf buffer("a,b\r\nc,d\n\"e\nf\",g\n", {5, 5, 12});
  std::istream in(&buffer);
  CsvReader reader(in);
  std::vector<std::string> fields;
  REQUIRE(reader.next(fields).ok());
  CHECK(fields == std::vector<std::string>{"a", "b"});
  CHECK(buffer.asked == 1);
  REQUIRE(reader.next(fields).ok());
  CHECK(fields == std::vector<std::string>{"c", "d"});
  CHECK(buffer.asked == 2);
  REQUIRE(reader.next(fields).ok());
  CHECK(fields == std::vector<std::string>{"e\nf", "g"});
  CHECK(reader.line() == 3);
  CHECK(buffer.asked == 3);
}

TEST_CASE(
    "csv record counter: the reader's count whenever it vouches, never when the reader "
    "fails") {
  // The reader's random texts, fed to the counter in pieces of 1 to 7 bytes: wherever the
  // counter says ok, the reader read as many records without an error; wherever the reader
  // failed, the counter did not vouch. Half the rounds with the default limits (the counter
  // vouches for most texts), half with small ones (it gives up where a limit could be hit).
  std::mt19937 random(20261128);
  const std::string alphabet = "ab,;\"\r\n\xEF\xBB\xBF";
  int vouched = 0;
  for (int round = 0; round < 6000; ++round) {
    std::string text(random() % 64, ' ');
    const std::size_t letters = round % 3 == 0 ? alphabet.size() : round % 3 == 1 ? 8 : 7;
    for (auto& c : text) c = alphabet[random() % letters];
    if (round % 5 == 0) text = "\xEF\xBB\xBF" + text;
    CsvOptions options;
    options.delimiter = round % 4 == 0 ? ';' : ',';
    if (round % 2) {
      options.max_field_bytes = 1 + random() % 12;
      options.max_record_bytes = 1 + random() % 24;
      options.max_fields = 1 + random() % 6;
    }
    CAPTURE(text);
    CAPTURE(round);
    std::istringstream in(text);
    CsvReader reader(in, options);
    std::vector<std::string> fields;
    std::size_t records = 0;
    bool failed = false;
    for (;;) {
      auto more = reader.next(fields);
      if (!more) {
        failed = true;
        break;
      }
      if (!*more) break;
      ++records;
    }
    CsvRecordCounter counter(options);
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t piece = std::min<std::size_t>(1 + random() % 7, text.size() - at);
      counter.feed(text.data() + at, piece);
      at += piece;
    }
    if (counter.finish()) {
      ++vouched;
      CHECK_FALSE(failed);
      CHECK(counter.records() == records);
    } else {
      CHECK_FALSE(counter.ok());
    }
    if (failed) CHECK_FALSE(counter.ok());
  }
  CHECK(vouched > 1000);  // it vouches for the well-formed texts within the limits (1,639)
}

TEST_CASE("csv record counter: quoted ends of line, blank lines, a byte order mark") {
  const auto count = [](const std::string& text) {
    CsvRecordCounter counter;
    counter.feed(text.data(), text.size());
    return counter.finish() ? static_cast<long>(counter.records()) : -1L;
  };
  CHECK(count("") == 0);
  CHECK(count("a,b\r\n\r\n\nc\rd") == 3);
  CHECK(count("\"x\ny\",\"say \"\"hi\"\"\"\nz\n") == 2);
  CHECK(count("\xEF\xBB\xBF"
              "a\n") == 1);
  CHECK(count("\xEF\xBB"
              "a\n") == -1);           // not a byte order mark
  CHECK(count("\"open\n") == -1);      // a quoted field left open
  CHECK(count("\"a\"b\n") == -1);      // text after a closing quote
  CHECK(count("12\" pipe,x\n") == 1);  // a quote inside an unquoted field
  // An empty piece first: the byte order mark is still recognised at the start.
  CsvRecordCounter counter;
  counter.feed("", 0);
  counter.feed("\xEF\xBB\xBF\n\na\n", 6);
  REQUIRE(counter.finish());
  CHECK(counter.records() == 1);
}
