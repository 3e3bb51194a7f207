#include "tests/fuzz/fuzz_targets.hpp"

#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "adapters/soap/soap_message.hpp"
#include "core/csv/csv_reader.hpp"
#include "core/engine/bus.hpp"
#include "core/json/json_xml.hpp"
#include "core/net/api.hpp"
#include "core/schema/xsd_schema.hpp"
#include "core/xml/xml.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

namespace egov::fuzz {
namespace {

std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant: abort so that libFuzzer (or the replay test) reports the input.
void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

void initOnce() {
  static const bool done = [] {
    core::initXmlLibraries();
    return true;
  }();
  (void)done;
}

// Config, schema and API shared by every input of a process (built on first use).
struct World {
  test::TempConfig config;
  std::shared_ptr<const core::XsdSchema> schema;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;
  std::string key;  // added to inputs without an Authorization header, to reach past it
  net::io_context io;

  World() {
    config.write(
        "schemas/fuzz.xsd",
        "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
        "targetNamespace=\"urn:fuzz\" xmlns=\"urn:fuzz\" elementFormDefault=\"qualified\">\n"
        "  <xs:element name=\"domanda\"><xs:complexType><xs:sequence>\n"
        "    <xs:element name=\"cf\" type=\"xs:string\"/>\n"
        "    <xs:element name=\"importo\" type=\"xs:decimal\" maxOccurs=\"5\"/>\n"
        "    <xs:element name=\"data\" type=\"xs:date\" minOccurs=\"0\"/>\n"
        "    <xs:any processContents=\"lax\" minOccurs=\"0\" maxOccurs=\"unbounded\"/>\n"
        "  </xs:sequence><xs:attribute name=\"id\" type=\"xs:ID\"/></xs:complexType>\n"
        "  </xs:element>\n</xs:schema>\n");
    auto loaded = core::XsdSchema::load(config.root() / "schemas/fuzz.xsd");
    check(loaded.ok(), "the fuzz schema loads");
    schema = std::move(loaded).value();

    config.write(
        "conf/bus.yaml",
        "listen: 127.0.0.1:0\nlimits: { max_body: 64KiB, json_depth: 16, xml_depth: 32 }\n");
    config.write("conf/profiles/echo.yaml",
                 "routes:\n"
                 "  - service: echo.ping\n    steps: [ { call: echo } ]\n"
                 "  - service: tributi.posizioni\n    methods: [GET, POST]\n"
                 "    steps: [ { map: wrap.xsl }, { call: echo } ]\n");
    config.write(
        "mappings/wrap.xsl",
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\""
        " xmlns=\"http://www.w3.org/2005/xpath-functions\">\n"
        "  <xsl:template match=\"/\"><map><string key=\"n\"><xsl:value-of "
        "select=\"count(//*)\"/></string></map></xsl:template>\n</xsl:stylesheet>\n");
    config.write("conf/tenants/bari.yaml",
                 "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: echo\n"
                 "endpoints: { echo: { type: memory } }\n");
    key = config.apiKey();
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    check(bus->reload(errors), "the fuzz config loads");
    api = std::make_unique<core::ApiHandler>(*bus);
  }
};

World& world() {
  initOnce();
  static World instance;
  return instance;
}

}  // namespace

int fuzzJson(const std::uint8_t* data, std::size_t size) {
  initOnce();
  auto doc = core::jsonToXml(text(data, size), core::JsonLimits{64 * 1024, 32});
  if (!doc) return 0;
  // Whatever jsonToXml builds converts back, and a second round trip changes nothing.
  auto json = core::xmlToJson(**doc);
  check(json.ok(), "xmlToJson reads every document jsonToXml makes");
  auto again = core::jsonToXml(*json, core::JsonLimits{1 << 20, 32});
  check(again.ok(), "jsonToXml reads what xmlToJson writes");
  auto json2 = core::xmlToJson(**again);
  check(json2.ok() && *json2 == *json, "the JSON round trip is a fixed point");
  return 0;
}

int fuzzXmlXsd(const std::uint8_t* data, std::size_t size) {
  auto& w = world();
  auto doc = core::parseXml(text(data, size), core::XmlLimits{64 * 1024, 64, 10'000}, "fuzz");
  if (!doc) return 0;
  check(xmlDocGetRootElement(doc->get()) != nullptr, "a parsed document has a root element");
  (void)w.schema->validate(**doc);
  auto serialized = core::serializeXml(**doc);
  check(core::parseXml(serialized, core::XmlLimits{1 << 20, 64, 10'000}).ok(),
        "a parsed document serializes to XML that parses");
  return 0;
}

int fuzzSoapReply(const std::uint8_t* data, std::size_t size) {
  initOnce();
  static const adapters::soap::SoapConfig v11 = [] {
    adapters::soap::SoapConfig c;
    c.url = "http://127.0.0.1:1/ws";
    c.max_response_bytes = 64 * 1024;
    return c;
  }();
  static const adapters::soap::SoapConfig v12 = [] {
    auto c = v11;
    c.version = adapters::soap::SoapVersion::v12;
    return c;
  }();
  // The first byte picks the status and the version, the rest is the body.
  const std::uint8_t selector = size > 0 ? data[0] : 0;
  adapters::http::HttpReply reply;
  static constexpr long kStatuses[] = {200, 500, 202, 400};
  reply.status = kStatuses[selector & 3];
  reply.content_type = (selector & 4) ? "application/soap+xml" : "text/xml";
  reply.body = std::string(text(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0));
  auto result = adapters::soap::readSoapReply(reply, (selector & 8) ? v12 : v11, "fuzz/soap");
  if (result) {
    check(*result && xmlDocGetRootElement(result->get()), "a read reply has a root element");
  } else {
    check(!result.error().message.empty(), "a refused reply says why");
  }
  return 0;
}

int fuzzCsv(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t selector = size > 0 ? data[0] : 0;
  static constexpr char kDelimiters[] = {',', ';', '\t', ','};
  core::CsvOptions options;
  options.delimiter = kDelimiters[selector & 3];
  options.max_field_bytes = 256;
  options.max_record_bytes = 1024;
  options.max_fields = 32;
  std::istringstream in(std::string(text(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0)));
  core::CsvReader reader(in, options);
  std::vector<std::string> fields;
  std::size_t last_line = 0;
  for (int records = 0; records < 100'000; ++records) {
    auto more = reader.next(fields);
    if (!more) {
      check(!more.error().message.empty(), "a refused record says why");
      check(!reader.next(fields).ok(), "the reader stays failed after an error");
      return 0;
    }
    if (!*more) return 0;
    check(fields.size() <= options.max_fields, "field count limit");
    for (const auto& f : fields) check(f.size() <= options.max_field_bytes, "field size limit");
    check(reader.line() > last_line, "record lines increase");
    last_line = reader.line();
  }
  return 0;
}

int fuzzConfig(const std::uint8_t* data, std::size_t size) {
  auto& w = world();
  // The input is a tenant file beside the good one; the whole config is loaded.
  static test::TempConfig config;
  static const bool written = [] {
    config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
    config.write("conf/profiles/echo.yaml",
                 "routes:\n  - service: echo.ping\n    steps: [ { call: echo } ]\n");
    return true;
  }();
  (void)written;
  (void)w;
  config.write("conf/tenants/fuzz.yaml", std::string(text(data, size)));
  auto generation = config.load();
  if (!generation) {
    check(!config.errors().empty(), "a refused config has errors");
    const auto message = config.errors().str();
    check(message.find("fuzz.yaml") != std::string::npos ||
              message.find("tenants") != std::string::npos,
          "config errors name the file");
  }
  return 0;
}

int fuzzHttp(const std::uint8_t* data, std::size_t size) {
  auto& w = world();
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  beast::error_code ec;
  auto input = text(data, size);
  while (!input.empty() && !ec && !parser.is_done()) {
    const auto used = parser.put(net::buffer(input.data(), input.size()), ec);
    if (used == 0 && !ec) break;
    input.remove_prefix(used);
  }
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  auto request = parser.release();
  if (request.find(http::field::authorization) == request.end()) {
    request.set(http::field::authorization, "Bearer " + w.key);
  }
  auto response = test::runCoroutine(w.io, w.api->handle(std::move(request)));
  const int status = response.result_int();
  check(status >= 100 && status <= 599, "a real HTTP status");
  if (response[http::field::content_type] == "application/problem+json" ||
      response[http::field::content_type] == "application/json") {
    rapidjson::Document doc;
    doc.Parse(response.body().c_str(), response.body().size());
    check(!doc.HasParseError(), "JSON responses are JSON");
  }
  return 0;
}

const std::vector<NamedTarget>& targets() {
  static const std::vector<NamedTarget> all = {
      {"json", fuzzJson}, {"xml_xsd", fuzzXmlXsd}, {"soap_reply", fuzzSoapReply},
      {"csv", fuzzCsv},   {"config", fuzzConfig},  {"http", fuzzHttp},
  };
  return all;
}

}  // namespace egov::fuzz
