#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/csv/csv_reader.hpp"
#include "core/csv/csv_writer.hpp"

using namespace egov::core;

namespace {

using Records = std::vector<std::vector<std::string>>;

std::string write(const Records& records, CsvWriteOptions options = {}) {
  std::string out;
  for (const auto& record : records) appendCsvRecord(out, record, options);
  return out;
}

Records read(const std::string& text, char delimiter) {
  std::istringstream in(text);
  CsvOptions options;
  options.delimiter = delimiter;
  CsvReader reader(in, options);
  Records records;
  std::vector<std::string> fields;
  for (;;) {
    auto more = reader.next(fields);
    REQUIRE(more.ok());
    if (!*more) return records;
    records.push_back(fields);
  }
}

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> listFolder(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

struct TempFolder {
  std::filesystem::path path;
  TempFolder() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("egovbus-csvw-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("csv writer quotes only the fields that need it") {
  CHECK(write({{"a", "b c", "1,5", "say \"hi\"", "two\nlines", "cr\rhere", "", " pad", "pad\t"}}) ==
        "a,b c,\"1,5\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",,\" pad\",\"pad\t\"\r\n");
  CHECK(write({{"only"}, {"x", ""}}) == "only\r\nx,\r\n");
  // One empty field alone would read back as a blank line, which readers skip.
  CHECK(write({{""}}) == "\"\"\r\n");
}

TEST_CASE("csv writer delimiters and line endings") {
  CsvWriteOptions semicolon{';', true};
  CHECK(write({{"1,5", "a;b"}}, semicolon) == "1,5;\"a;b\"\r\n");
  CsvWriteOptions tab{'\t', false};
  CHECK(write({{"a b", "c\td", "e;f"}}, tab) == "a b\t\"c\td\"\te;f\n");
  CHECK(csvNeedsQuotes("a,b", ';') == false);
  CHECK(csvNeedsQuotes("a;b", ';') == true);
}

TEST_CASE("csv writer output reads back through CsvReader unchanged") {
  const Records records = {
      {"codice", "descrizione", "importo"},
      {"A1", "Caffè \"ristretto\", al banco", "1,20"},
      {"B2", "due\nrighe", "3"},
      {"C3", "crlf\r\ndentro", ""},
      {"", "", ""},
      {"D4", "\"\"", " spazi "},
      {"E5", "€ àèéìòù", ";,\t"},
  };
  for (char delimiter : {',', ';', '\t'}) {
    for (bool crlf : {true, false}) {
      INFO("delimiter ", static_cast<int>(delimiter), " crlf ", crlf);
      CHECK(read(write(records, {delimiter, crlf}), delimiter) == records);
    }
  }
}

TEST_CASE("csv file writer publishes complete files only, by rename") {
  TempFolder folder;
  const auto final_path = folder.path / "esiti-1.csv";
  auto writer = CsvFileWriter::create(final_path, {';', true});
  REQUIRE(writer.ok());
  const auto temp = writer->tempPath();
  CHECK(temp.parent_path() == folder.path);
  CHECK(temp.filename().string().rfind(".esiti-1.csv.", 0) == 0);
  CHECK(temp.extension() == ".tmp");

  REQUIRE(writer->write(std::vector<std::string>{"a", "b"}).ok());
  REQUIRE(writer->write(std::vector<std::string>{"1;2", "x"}).ok());
  // Before publishing, only the temporary file exists.
  CHECK(!std::filesystem::exists(final_path));
  CHECK(listFolder(folder.path) == std::vector<std::string>{temp.filename().string()});

  REQUIRE(writer->publish().ok());
  CHECK(writer->records() == 2);
  CHECK(listFolder(folder.path) == std::vector<std::string>{"esiti-1.csv"});
  CHECK(slurp(final_path) == "a;b\r\n\"1;2\";x\r\n");
  CHECK((std::filesystem::status(final_path).permissions() & std::filesystem::perms::others_read) !=
        std::filesystem::perms::none);
  CHECK(!writer->write(std::vector<std::string>{"late"}).ok());
}

TEST_CASE("csv file writer removes its temporary file when not published") {
  TempFolder folder;
  {
    auto writer = CsvFileWriter::create(folder.path / "x.csv", {});
    REQUIRE(writer.ok());
    REQUIRE(writer->write(std::vector<std::string>{"a"}).ok());
    // Moving hands the file over; only the last owner cleans up.
    CsvFileWriter moved(std::move(*writer));
    CHECK(listFolder(folder.path).size() == 1);
  }
  CHECK(listFolder(folder.path).empty());
}

TEST_CASE("csv file writer replaces a file of the same name atomically") {
  TempFolder folder;
  const auto final_path = folder.path / "same.csv";
  std::ofstream(final_path) << "old\n";
  auto writer = CsvFileWriter::create(final_path, {',', false});
  REQUIRE(writer.ok());
  REQUIRE(writer->write(std::vector<std::string>{"new"}).ok());
  CHECK(slurp(final_path) == "old\n");
  REQUIRE(writer->publish().ok());
  CHECK(slurp(final_path) == "new\n");
  CHECK(listFolder(folder.path).size() == 1);
}

TEST_CASE("csv file writer reports a missing folder") {
  auto writer = CsvFileWriter::create("/nonexistent-egovbus/folder/x.csv", {});
  REQUIRE(!writer.ok());
  CHECK(writer.error().kind == ErrorKind::backend_unavailable);
  CHECK(writer.error().message ==
        "/nonexistent-egovbus/folder/x.csv: cannot create a temporary file: No such file or "
        "directory");
}
