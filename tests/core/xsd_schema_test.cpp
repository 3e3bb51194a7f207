#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/schema/xsd_schema.hpp"
#include "core/xml/xml.hpp"

using namespace egov::core;

namespace {

std::filesystem::path dataFile(const char* name) {
  return std::filesystem::path(EGOV_SOURCE_DIR) / "tests/data/mapping" / name;
}

std::shared_ptr<const XsdSchema> posizioneSchema() {
  auto schema = XsdSchema::load(dataFile("posizione.xsd"));
  INFO((schema.ok() ? std::string() : schema.error().message));
  REQUIRE(schema.ok());
  return *schema;
}

Result<void> validate(const XsdSchema& schema, const std::string& xml) {
  auto doc = parseXml(xml);
  REQUIRE(doc.ok());
  return schema.validate(**doc);
}

}  // namespace

TEST_CASE("xsd loads a schema with a relative xs:include and accepts a valid document") {
  auto schema = posizioneSchema();
  CHECK(schema->file() == dataFile("posizione.xsd"));
  CHECK(validate(*schema,
                 "<posizione xmlns=\"urn:egovbus:test\" id=\"1\">"
                 "<codiceFiscale>RSSMRA85T10A662U</codiceFiscale><importo>10.50</importo>"
                 "<scadenza>2024-03-05</scadenza></posizione>")
            .ok());
}

TEST_CASE("xsd reports invalid documents with line numbers") {
  auto schema = posizioneSchema();
  auto result = validate(*schema,
                         "<posizione xmlns=\"urn:egovbus:test\" id=\"1\">\n"
                         "<codiceFiscale>rssmra</codiceFiscale>\n"
                         "<importo>10.505</importo>\n"
                         "</posizione>");
  REQUIRE(!result.ok());
  CHECK(result.error().kind == ErrorKind::validation_failed);
  const std::string& message = result.error().message;
  INFO(message);
  CHECK(message.rfind("line 2: ", 0) == 0);
  CHECK(message.find("; line 3: ") != std::string::npos);
}

TEST_CASE("xsd lists at most five errors and counts the rest") {
  auto schema = XsdSchema::load(dataFile("righe.xsd"));
  REQUIRE(schema.ok());
  std::string xml = "<righe>";
  for (int i = 0; i < 8; ++i) xml += "\n<riga>x" + std::to_string(i) + "</riga>";
  xml += "</righe>";
  auto result = validate(**schema, xml);
  REQUIRE(!result.ok());
  const std::string& message = result.error().message;
  INFO(message);
  CHECK(message.rfind("line 2: ", 0) == 0);
  CHECK(message.find("line 6: ") != std::string::npos);
  CHECK(message.find("line 7: ") == std::string::npos);
  std::size_t reported = 0;
  for (std::size_t at = message.find("line "); at != std::string::npos;
       at = message.find("line ", at + 1)) {
    ++reported;
  }
  CHECK(reported == 5);
  CHECK(message.find(" (3 more)") != std::string::npos);
}

TEST_CASE("xsd names the node path of errors in a document without line numbers") {
  auto schema = posizioneSchema();
  XmlDocPtr doc(xmlNewDoc(BAD_CAST "1.0"));
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, BAD_CAST "posizione", nullptr);
  xmlDocSetRootElement(doc.get(), root);
  xmlSetNs(root, xmlNewNs(root, BAD_CAST "urn:egovbus:test", nullptr));
  auto result = schema->validate(*doc);
  REQUIRE(!result.ok());
  INFO(result.error().message);
  CHECK(result.error().message.rfind("/", 0) == 0);
}

TEST_CASE("xsd compile errors name the file and line") {
  const auto broken = dataFile("broken.xsd");
  auto schema = XsdSchema::load(broken);
  REQUIRE(!schema.ok());
  INFO(schema.error().message);
  CHECK(schema.error().kind == ErrorKind::bad_request);
  CHECK(schema.error().message.rfind(broken.string() + ":3: ", 0) == 0);
  CHECK(schema.error().message.find("NoSuchType") != std::string::npos);

  const auto malformed = dataFile("not-well-formed.xsd");
  auto not_xml = XsdSchema::load(malformed);
  REQUIRE(!not_xml.ok());
  INFO(not_xml.error().message);
  CHECK(not_xml.error().message.rfind(malformed.string() + ":4: ", 0) == 0);

  auto missing = XsdSchema::load(dataFile("no-such.xsd"));
  REQUIRE(!missing.ok());
  CHECK(missing.error().message == dataFile("no-such.xsd").string() + ": no such file");
}

TEST_CASE("xsd never follows an xs:import to the network") {
  auto schema = XsdSchema::load(dataFile("network-import.xsd"));
  REQUIRE(!schema.ok());
  INFO(schema.error().message);
  CHECK(schema.error().message.find("network-import.xsd") != std::string::npos);
}

TEST_CASE("xsd validates from 8 threads with one schema") {
  auto schema = posizioneSchema();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const bool valid = (i + t) % 2 == 0;
        auto doc = parseXml(std::string("<posizione xmlns=\"urn:egovbus:test\" id=\"x\">\n") +
                            "<codiceFiscale>80015010723</codiceFiscale>\n<importo>" +
                            (valid ? "1.00" : "-1") + "</importo></posizione>");
        auto result = schema->validate(**doc);
        if (result.ok() != valid) ++wrong;
        if (!valid && !result.ok() && result.error().message.rfind("line 3: ", 0) != 0) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
}

TEST_CASE("xsd prints nothing on stderr") {
  std::fflush(stderr);
  std::FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved = dup(2);
  dup2(fileno(capture), 2);
  CHECK(!XsdSchema::load(dataFile("broken.xsd")).ok());
  CHECK(!XsdSchema::load(dataFile("not-well-formed.xsd")).ok());
  CHECK(!XsdSchema::load(dataFile("network-import.xsd")).ok());
  auto schema = XsdSchema::load(dataFile("righe.xsd"));
  REQUIRE(schema.ok());
  CHECK(!validate(**schema, "<righe><riga>x</riga></righe>").ok());
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::rewind(capture);
  CHECK(std::fgetc(capture) == EOF);
  std::fclose(capture);
}
