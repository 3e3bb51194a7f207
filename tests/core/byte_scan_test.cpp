#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/csv/byte_scan.hpp"
#include "core/csv/charset.hpp"
#include "core/csv/csv_reader.hpp"
#include "core/csv/csv_writer.hpp"

using namespace egov::core;

namespace {

// What the word tests must answer, byte by byte.
bool anyBelow(const std::string& bytes, unsigned char n) {
  for (char c : bytes) {
    if (static_cast<unsigned char>(c) < n) return true;
  }
  return false;
}

bool any(const std::string& bytes, char c) {
  return bytes.find(c) != std::string::npos;
}

void checkWord(const std::string& bytes) {
  REQUIRE(bytes.size() == 8);
  CAPTURE(bytes);
  const std::uint64_t word = byte_scan::load(bytes.data());
  for (unsigned char n : {1, 0x20, 0x41, 0x80}) {
    CHECK(byte_scan::hasBelow(word, n) == anyBelow(bytes, n));
  }
  for (char c : {',', ';', '|', '"', '\r', '\n', '\0', '\x7F', '\x80', '\xFF'}) {
    CHECK(byte_scan::has(word, c) == any(bytes, c));
  }
  const bool high = std::any_of(bytes.begin(), bytes.end(), [](char c) { return (c & 0x80) != 0; });
  CHECK(byte_scan::hasHigh(word) == high);
}

}  // namespace

TEST_CASE("byte scan: every byte value at every place of a word, on three backgrounds") {
  for (char background : {'a', '\x00', '\xFF'}) {
    for (std::size_t place = 0; place < 8; ++place) {
      for (int value = 0; value < 256; ++value) {
        std::string bytes(8, background);
        bytes[place] = static_cast<char>(value);
        checkWord(bytes);
      }
    }
  }
  // Random words: the borrow of a low byte must not make a higher one look like a match.
  std::mt19937 random(20261127);
  const std::string interesting = std::string("\x00\x01\x1F\x20\x21,;|\"\r\n\x7F\x80\xFF", 14);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(8, ' ');
    for (auto& c : bytes) {
      c = round % 2 ? static_cast<char>(random() % 256)
                    : interesting[random() % interesting.size()];
    }
    checkWord(bytes);
  }
}

TEST_CASE("byte scan: csvNeedsQuotes answers as a look at every byte does") {
  std::mt19937 random(7);
  const std::string alphabet = "abcdefgh ,;\"\r\n\t";
  for (int round = 0; round < 20000; ++round) {
    std::string field(random() % 40, ' ');
    for (auto& c : field) c = alphabet[random() % (round % 3 == 0 ? alphabet.size() : 8)];
    if (round % 3 == 1 && !field.empty())
      field[random() % field.size()] = alphabet[8 + random() % 7];
    const char delimiter = round % 2 ? ',' : ';';
    CAPTURE(field);
    bool expected = !field.empty() && (field.front() == ' ' || field.front() == '\t' ||
                                       field.back() == ' ' || field.back() == '\t');
    for (char c : field) {
      if (c == delimiter || c == '"' || c == '\r' || c == '\n') expected = true;
    }
    CHECK(csvNeedsQuotes(field, delimiter) == expected);
  }
}

TEST_CASE("byte scan: UTF-8 decoded whole as byte by byte, errors at the same offset") {
  // Fed a byte at a time, the decoder never has eight bytes to look at together.
  std::mt19937 random(11);
  const std::vector<std::string> pieces = {
      "a",    "bcdefghij", "0123456789",   "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
      "\x80", "\xC3(",     "\xED\xA0\x80", "\xFF"};
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int count = static_cast<int>(random() % 12);
    for (int i = 0; i < count; ++i) {
      // Mostly ASCII runs, sometimes a character of two to four bytes, rarely a bad byte.
      const std::size_t pick = random() % 100;
      text += pieces[pick < 70 ? pick % 3 : pick < 94 ? 3 + pick % 3 : 6 + pick % 4];
    }
    CAPTURE(text);
    const auto run = [&](bool bytewise) {
      auto decoder = CharsetDecoder::open(Charset::utf8);
      REQUIRE(decoder.ok());
      std::string out;
      Result<void> step;
      if (bytewise) {
        for (char c : text) {
          step = decoder->decode(std::string_view(&c, 1), out);
          if (!step) break;
        }
      } else {
        step = decoder->decode(text, out);
      }
      if (step) step = decoder->finish();
      return step ? out : "ERROR: " + step.error().message;
    };
    CHECK(run(false) == run(true));
  }
}

TEST_CASE("byte scan: the record counter on long fields counts what the reader reads") {
  std::mt19937 random(13);
  const std::string letters = "abcdefghijklmnopqrstuvwxyz0123456789 .";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int records = static_cast<int>(random() % 20);
    for (int r = 0; r < records; ++r) {
      const int fields = 1 + static_cast<int>(random() % 5);
      for (int f = 0; f < fields; ++f) {
        if (f) text += '|';
        const std::size_t length = random() % 30;
        const bool quoted = random() % 6 == 0;
        if (quoted) text += '"';
        for (std::size_t i = 0; i < length; ++i) text += letters[random() % letters.size()];
        if (quoted) text += random() % 2 ? "\n\"\"x\"" : "\"";
      }
      text += random() % 3 ? "\n" : "\r\n";
    }
    CAPTURE(text);
    CsvOptions options;
    options.delimiter = '|';
    std::istringstream in(text);
    CsvReader reader(in, options);
    std::vector<std::string> fields;
    std::size_t read = 0;
    while (true) {
      auto more = reader.next(fields);
      REQUIRE(more.ok());
      if (!*more) break;
      ++read;
    }
    CsvRecordCounter counter(options);
    counter.feed(text.data(), text.size());
    REQUIRE(counter.finish());
    CHECK(counter.records() == read);
  }
}
