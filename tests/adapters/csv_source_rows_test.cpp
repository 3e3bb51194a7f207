// The bodies a csv source hands its routes: one row, or a chunk of rows.
#include <doctest/doctest.h>

#include <libxml/tree.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <random>
#include <string>
#include <vector>

#include "adapters/csv/csv_batch_file.hpp"
#include "adapters/csv/csv_source_rows.hpp"
#include "core/xml/xml.hpp"

using namespace egov;
using adapters::csv::CsvRow;

namespace {

const std::vector<std::string> kHeader{"codice_fiscale", "importo", "scadenza"};

std::vector<CsvRow> twoRows() {
  return {CsvRow{1, 2, {"RSSMRA80A01A662A", "1.234,56", "31/12/2026"}},
          CsvRow{2, 4, {"VRDLGU75B02A662B", "7,00", ""}}};
}

}  // namespace

TEST_CASE("csv row document: the row with the file's name, each field named by its column") {
  const auto rows = twoRows();
  auto doc = adapters::csv::rowDocument("versamenti.csv", kHeader, rows[1]);
  REQUIRE(doc);
  CHECK(core::serializeXml(**doc) ==
        "<row xmlns=\"urn:egovbus:csv\" file=\"versamenti.csv\" number=\"2\" line=\"4\">"
        "<field name=\"codice_fiscale\">VRDLGU75B02A662B</field>"
        "<field name=\"importo\">7,00</field><field name=\"scadenza\"></field></row>");
}

TEST_CASE(
    "csv chunk document: its rows in order, each field named by its column, each name "
    "stored once") {
  const auto rows = twoRows();
  auto doc = adapters::csv::chunkDocument("versamenti.csv", kHeader, {&rows[0], &rows[1]});
  REQUIRE(doc);
  CHECK(core::serializeXml(**doc) ==
        "<rows xmlns=\"urn:egovbus:csv\" file=\"versamenti.csv\" first=\"1\" last=\"2\">"
        "<row number=\"1\" line=\"2\"><field name=\"codice_fiscale\">RSSMRA80A01A662A</field>"
        "<field name=\"importo\">1.234,56</field><field name=\"scadenza\">31/12/2026</field></row>"
        "<row number=\"2\" line=\"4\"><field name=\"codice_fiscale\">VRDLGU75B02A662B</field>"
        "<field name=\"importo\">7,00</field><field name=\"scadenza\"></field></row></rows>");

  // The names repeat on every row of a chunk (thousands of them): one copy each, in the
  // document's dictionary, which also frees it.
  xmlDoc* d = doc->get();
  REQUIRE(d->dict != nullptr);
  const xmlNode* first = xmlDocGetRootElement(d)->children;
  const xmlNode* second = first->next;
  REQUIRE(second != nullptr);
  const xmlNode* a = first->children;
  const xmlNode* b = second->children;
  for (std::size_t i = 0; i < kHeader.size(); ++i, a = a->next, b = b->next) {
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    const xmlChar* name_a = a->properties->children->content;
    const xmlChar* name_b = b->properties->children->content;
    CHECK(xmlDictOwns(d->dict, name_a) == 1);
    CHECK(name_a == name_b);
    // So are the elements' and attributes' own names.
    CHECK(a->name == b->name);
    CHECK(xmlDictOwns(d->dict, a->name) == 1);
    CHECK(a->properties->name == b->properties->name);
    CHECK(xmlDictOwns(d->dict, a->properties->name) == 1);
  }
  CHECK(first->name == second->name);
  CHECK(xmlDictOwns(d->dict, first->name) == 1);
  CHECK(first->properties->name == second->properties->name);
  CHECK(xmlDictOwns(d->dict, first->properties->name) == 1);
  // A copy of a field into a document without that dictionary owns its name.
  core::XmlDocPtr other(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  xmlNode* copied = xmlDocCopyNode(first->children, other.get(), 1);
  REQUIRE(copied != nullptr);
  xmlDocSetRootElement(other.get(), copied);
  CHECK(core::serializeXml(*other) ==
        "<field xmlns=\"urn:egovbus:csv\" name=\"codice_fiscale\">RSSMRA80A01A662A</field>");
}

namespace {

std::filesystem::path writeTemp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("egov-fingerprint-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

TEST_CASE("csv fingerprint: the file's SHA-256 and its records, counted or read") {
  // Counted: quoted ends of line, blank lines, CRLF.
  const auto good = writeTemp("good.csv", "cf;importo\r\n\"RSS\nMRA\";\"1,00\"\r\n\r\nVRD;2\r\n");
  auto print = adapters::csv::fingerprintFile(good, ';');
  REQUIRE(print);
  CHECK(print->records == 3);
  CHECK_FALSE(print->malformed);
  // sha256sum of those bytes
  CHECK(print->sha256 == "b4b0939b306ed0547dbdf0dfbda24dd74d1d841442336a680a5514a59540b85a");
  // Malformed: read by the reader, which counts the records before the error and says where.
  const auto bad = writeTemp("bad.csv", "cf;importo\nRSS;1\n\"VRD\"x;2\nBNC;3\n");
  print = adapters::csv::fingerprintFile(bad, ';');
  REQUIRE(print);
  CHECK(print->records == 2);
  REQUIRE(print->malformed);
  CHECK(print->malformed->message == "line 3: unexpected character 'x' after closing quote");
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

TEST_CASE("csv row problem: a control character anywhere in any field, as a byte loop finds it") {
  // Fields long enough to be looked at eight bytes at a time, the character at every place.
  std::mt19937 random(17);
  const std::vector<std::string> header = {"a", "b", "c"};
  for (int round = 0; round < 5000; ++round) {
    CsvRow row;
    row.number = 1;
    row.line = 2;
    for (int f = 0; f < 3; ++f) {
      std::string field(random() % 40, 'x');
      for (auto& c : field) c = static_cast<char>('a' + random() % 26);
      if (!field.empty() && random() % 2) {
        // Tab, LF and CR are fine; the other controls and DEL's neighbours are tried too.
        static const std::string kTried = std::string("\t\n\r\x01\x08\x0B\x1F\x7F\x80 ", 10);
        field[random() % field.size()] = kTried[random() % kTried.size()];
      }
      row.fields.push_back(std::move(field));
    }
    CAPTURE(row.fields[0]);
    CAPTURE(row.fields[1]);
    CAPTURE(row.fields[2]);
    bool control = false;
    for (const auto& field : row.fields) {
      for (char c : field) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') control = true;
      }
    }
    CHECK(rowProblem(header, row).empty() == !control);
  }
}
