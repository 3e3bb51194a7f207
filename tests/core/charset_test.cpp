#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/csv/charset.hpp"
#include "core/csv/csv_reader.hpp"

using namespace egov::core;

namespace {

// The decoded text of `chunks` fed one after the other, then finish(); or "ERROR: <message>".
std::string decode(Charset charset, const std::vector<std::string>& chunks) {
  auto decoder = CharsetDecoder::open(charset);
  REQUIRE(decoder.ok());
  std::string out;
  for (const auto& chunk : chunks) {
    auto step = decoder->decode(chunk, out);
    if (!step.ok()) {
      CHECK(step.error().kind == ErrorKind::bad_request);
      return "ERROR: " + step.error().message;
    }
  }
  auto done = decoder->finish();
  if (!done.ok()) return "ERROR: " + done.error().message;
  return out;
}

std::string decode(Charset charset, const std::string& text) {
  return decode(charset, std::vector<std::string>{text});
}

// Every split of `text` into single bytes: the hardest case for held-back sequences.
std::vector<std::string> bytewise(const std::string& text) {
  std::vector<std::string> out;
  for (char c : text) out.emplace_back(1, c);
  return out;
}

}  // namespace

TEST_CASE("charset names") {
  CHECK(charsetFromName("UTF-8") == Charset::utf8);
  CHECK(charsetFromName("Windows-1252") == Charset::windows_1252);
  CHECK(charsetFromName("iso-8859-1") == Charset::iso_8859_1);
  CHECK(!charsetFromName("latin9").has_value());
  CHECK(!charsetFromName("utf8 ").has_value());
  CHECK(charsetName(Charset::windows_1252) == "windows-1252");
}

TEST_CASE("charset windows-1252 and iso-8859-1 accented letters become UTF-8") {
  const std::string accents = "\xE0\xE8\xE9\xEC\xF2\xF9 \xC8";  // àèéìòù È
  CHECK(decode(Charset::windows_1252, accents) == "àèéìòù È");
  CHECK(decode(Charset::iso_8859_1, accents) == "àèéìòù È");
  CHECK(decode(Charset::windows_1252, "citt\xE0 \x80 12,50") == "città € 12,50");
}

TEST_CASE("charset windows-1252 and iso-8859-1 differ in 0x80-0x9F") {
  // Windows-1252 puts printable characters there; ISO-8859-1 has C1 controls.
  CHECK(decode(Charset::windows_1252, "\x80") == "\u20AC");
  CHECK(decode(Charset::iso_8859_1, "\x80") == "\u0080");
  CHECK(decode(Charset::windows_1252, "\x93virgolette\x94 \x96 \x9C") ==
        "\u201Cvirgolette\u201D \u2013 \u0153");
  CHECK(decode(Charset::iso_8859_1, "\x93\x96") == "\u0093\u0096");
  // Undefined in Windows-1252, a control character in ISO-8859-1.
  CHECK(decode(Charset::windows_1252, "abc\x81") ==
        "ERROR: invalid windows-1252 byte 0x81 at byte offset 3");
  CHECK(decode(Charset::iso_8859_1, "abc\x81") == "abc\u0081");
}

TEST_CASE("charset offsets count across chunks") {
  CHECK(decode(Charset::windows_1252, std::vector<std::string>{"0123456789", "ab\x8D"}) ==
        "ERROR: invalid windows-1252 byte 0x8D at byte offset 12");
  CHECK(decode(Charset::utf8, std::vector<std::string>{"0123456789", "\xC3\xA0", "x\xFF"}) ==
        "ERROR: invalid UTF-8 byte 0xFF at byte offset 13");
}

TEST_CASE("charset UTF-8 passes through, sequences split across chunks included") {
  const std::string text = "€ àè 😀 z";
  CHECK(decode(Charset::utf8, text) == text);
  CHECK(decode(Charset::utf8, bytewise(text)) == text);
  CHECK(decode(Charset::windows_1252, bytewise("\x80\xE0")) == "€à");
  // A four-byte sequence cut after each of its bytes, with text around.
  for (std::size_t cut = 1; cut < 4; ++cut) {
    const std::string emoji = "\xF0\x9F\x98\x80";
    CHECK(decode(Charset::utf8, {"ab" + emoji.substr(0, cut), emoji.substr(cut) + "cd"}) ==
          "ab" + emoji + "cd");
  }
}

TEST_CASE("charset invalid UTF-8 is refused with the offset of the sequence") {
  CHECK(decode(Charset::utf8, "abc\xC3(") == "ERROR: invalid UTF-8 sequence at byte offset 3");
  CHECK(decode(Charset::utf8, "caf\xE9") ==  // Latin-1 sent as UTF-8
        "ERROR: incomplete UTF-8 sequence at end of input at byte offset 3");
  CHECK(decode(Charset::utf8, "\xC0\x80") == "ERROR: invalid UTF-8 byte 0xC0 at byte offset 0");
  CHECK(decode(Charset::utf8, "x\xED\xA0\x80") ==  // a surrogate
        "ERROR: invalid UTF-8 sequence at byte offset 1");
  CHECK(decode(Charset::utf8, "xy\xF4\x90\x80\x80") ==  // above U+10FFFF
        "ERROR: invalid UTF-8 sequence at byte offset 2");
  CHECK(decode(Charset::utf8, "\xE0\x80\xAF") ==  // overlong '/'
        "ERROR: invalid UTF-8 sequence at byte offset 0");
  CHECK(decode(Charset::utf8, "ok\x80") == "ERROR: invalid UTF-8 byte 0x80 at byte offset 2");
  // Invalid only once the next chunk arrives.
  CHECK(decode(Charset::utf8, std::vector<std::string>{"ab\xE2", "("}) ==
        "ERROR: invalid UTF-8 sequence at byte offset 2");
  CHECK(decode(Charset::utf8, std::vector<std::string>{"ab\xE2\x82"}) ==
        "ERROR: incomplete UTF-8 sequence at end of input at byte offset 2");
}

TEST_CASE("charset decoder stays failed after an error") {
  auto decoder = CharsetDecoder::open(Charset::utf8);
  REQUIRE(decoder.ok());
  std::string out;
  CHECK(!decoder->decode("\xFF", out).ok());
  CHECK(!decoder->decode("fine", out).ok());
  CHECK(!decoder->finish().ok());
}

TEST_CASE("charset stream feeds CsvReader across chunk boundaries") {
  // A sequence straddling the streambuf's chunk boundary, and an error found in a later chunk.
  std::string text(DecodingStreamBuf::kChunkBytes - 1, 'a');
  text += ",\xE2\x82\xAC\n";
  std::istringstream source(text);
  auto decoder = CharsetDecoder::open(Charset::utf8);
  REQUIRE(decoder.ok());
  DecodingStreamBuf buffer(source, std::move(*decoder));
  std::istream in(&buffer);
  CsvOptions options;
  options.max_field_bytes = 2 * DecodingStreamBuf::kChunkBytes;
  options.max_record_bytes = 4 * DecodingStreamBuf::kChunkBytes;
  CsvReader reader(in, options);
  std::vector<std::string> fields;
  REQUIRE(*reader.next(fields));
  CHECK(fields.size() == 2);
  CHECK(fields[1] == "€");
  CHECK(!*reader.next(fields));
  CHECK(!buffer.error().has_value());

  std::istringstream bad(std::string(DecodingStreamBuf::kChunkBytes + 10, 'b') + "\x81");
  auto cp1252 = CharsetDecoder::open(Charset::windows_1252);
  REQUIRE(cp1252.ok());
  DecodingStreamBuf bad_buffer(bad, std::move(*cp1252));
  std::istream bad_in(&bad_buffer);
  std::string all((std::istreambuf_iterator<char>(bad_in)), std::istreambuf_iterator<char>());
  CHECK(all.size() == DecodingStreamBuf::kChunkBytes);  // the first chunk, then the error
  REQUIRE(bad_buffer.error().has_value());
  CHECK(bad_buffer.error()->message == "invalid windows-1252 byte 0x81 at byte offset " +
                                           std::to_string(DecodingStreamBuf::kChunkBytes + 10));
}

// Only the count is asserted, never a duration; skip with -tce='csv large file streams'.
TEST_CASE("csv large file streams") {
  constexpr std::size_t kRows = 1'000'000;
  const auto file = std::filesystem::temp_directory_path() /
                    ("egovbus-large-" + std::to_string(::getpid()) + ".csv");
  {
    std::ofstream out(file, std::ios::binary);
    out << "codice_fiscale;anno;importo;descrizione\r\n";
    std::string line;
    for (std::size_t i = 0; i < kRows; ++i) {
      line = "RSSMRA80A01A";
      line += std::to_string(100000 + i);
      line += ";2024;1.234,56;\"Tassa rifiuti \x96 citt\xE0; rata \x80 ";
      line += std::to_string(i);
      line += "\"\r\n";
      out << line;
    }
  }
  std::ifstream in(file, std::ios::binary);
  auto decoder = CharsetDecoder::open(Charset::windows_1252);
  REQUIRE(decoder.ok());
  DecodingStreamBuf buffer(in, std::move(*decoder));
  std::istream text(&buffer);
  CsvOptions options;
  options.delimiter = ';';
  CsvReader reader(text, options);
  std::vector<std::string> fields;
  std::size_t records = 0;
  std::string last;
  for (;;) {
    auto more = reader.next(fields);
    if (!more.ok()) FAIL(more.error().message);  // not REQUIRE: one assertion, not a million
    if (!*more) break;
    ++records;
    last = fields.back();
  }
  CHECK(!buffer.error().has_value());
  CHECK(records == kRows + 1);
  CHECK(last == "Tassa rifiuti – città; rata € " + std::to_string(kRows - 1));
  std::filesystem::remove(file);
}
