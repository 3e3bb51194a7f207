// The csv adapter: config checks, lookups (charsets, composite keys, reload), output files,
// and a whole route through the REST interface. No sockets, no timing: a reload is triggered
// by the call itself, which checks the file on the worker pool before looking up.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/csv/csv_factory.hpp"
#include "adapters/csv/csv_lookup_endpoint.hpp"
#include "core/engine/bus.hpp"
#include "core/json/json_xml.hpp"
#include "core/log/log.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using adapters::csv::CsvLookupEndpoint;

namespace {

constexpr const char* kExchangeId = "0f8fad5b-d9cb-469f-a165-70867728950e";

std::filesystem::path dataFile(const std::string& name) {
  return std::filesystem::path(EGOV_SOURCE_DIR) / "tests/data/csv" / name;
}

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Captures log lines while alive (the test main silences logs).
struct LogCapture {
  static inline std::string lines;
  LogCapture() {
    lines.clear();
    core::setLogSink([](std::string_view line) { lines.append(line).push_back('\n'); });
  }
  ~LogCapture() {
    core::setLogSink([](std::string_view) {});
  }
};

// Endpoints built from a tenant-like YAML file in a temporary folder, with a worker pool.
struct CsvFixture {
  std::filesystem::path dir;
  net::thread_pool pool{2};
  core::Metrics metrics;
  core::RuntimeServices runtime{pool.get_executor(), metrics};
  core::ConfigErrors errors;

  CsvFixture() {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("egovbus-csv-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "out");
  }
  ~CsvFixture() {
    runtime.shutdown();
    pool.join();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
  }
  // A new version of a file appears whole, as an export job would publish it.
  void replace(const std::string& name, const std::string& bytes) {
    write(name + ".new", bytes);
    std::filesystem::rename(dir / (name + ".new"), dir / name);
  }

  // `settings` are the lines of the endpoint's map, each indented by 4 spaces.
  std::shared_ptr<core::Endpoint> make(const std::string& settings) {
    write("tenant.yaml", "endpoints:\n  ruolo:\n" + settings);
    errors = core::ConfigErrors();
    auto root = core::ConfigNode::loadFile((dir / "tenant.yaml").string(), &errors);
    REQUIRE(errors.empty());
    return adapters::csv::makeCsvEndpoint(
        core::EndpointContext{"bari/ruolo", root["endpoints"]["ruolo"], runtime});
  }
  std::shared_ptr<CsvLookupEndpoint> makeLookup(const std::string& settings) {
    auto endpoint = make(settings);
    INFO(errorText());
    REQUIRE(endpoint != nullptr);
    return std::dynamic_pointer_cast<CsvLookupEndpoint>(endpoint);
  }
  std::string errorText() const {
    std::string text = errors.str();
    const std::string prefix = dir.string() + "/";
    for (auto pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix)) {
      text.erase(pos, prefix.size());
    }
    return text;
  }

  // Calls with a JSON body when `body` starts with '{' or '[', else with XML.
  core::Result<core::XmlDocPtr> call(core::Endpoint& endpoint, const std::string& body) {
    auto doc =
        body.front() == '{' || body.front() == '[' ? core::jsonToXml(body) : core::parseXml(body);
    REQUIRE(doc.ok());
    core::Exchange exchange;
    exchange.id = kExchangeId;
    const core::CallRequest request{exchange, **doc, core::Clock::now() + std::chrono::seconds(30)};
    return test::runCoroutine(endpoint.call(request));
  }
  // The rows of a lookup reply as "col=value|col=value" lines, or "ERROR: kind: message".
  std::string rows(core::Endpoint& endpoint, const std::string& body) {
    auto reply = call(endpoint, body);
    if (!reply.ok()) {
      return "ERROR: " + std::string(core::errorKindName(reply.error().kind)) + ": " +
             reply.error().message;
    }
    std::string out;
    for (const xmlNode* row = xmlDocGetRootElement(reply->get())->children; row != nullptr;
         row = row->next) {
      std::string line;
      for (const xmlNode* field = row->children; field != nullptr; field = field->next) {
        line +=
            (line.empty() ? "" : "|") + core::xmlAttr(field, "name") + "=" + core::xmlText(field);
      }
      out += line + "\n";
    }
    return out;
  }
};

const char* kTari1252 =
    "    type: csv\n"
    "    mode: lookup\n"
    "    file: ruolo.csv\n"
    "    delimiter: \";\"\n"
    "    charset: windows-1252\n"
    "    key: [codice_fiscale, anno]\n";

const char* kSimple =
    "    type: csv\n"
    "    mode: lookup\n"
    "    file: codici.csv\n"
    "    key: codice\n";

}  // namespace

TEST_CASE_FIXTURE(CsvFixture, "csv lookup: composite key, multiple matches, windows-1252 with ;") {
  write("ruolo.csv", slurp(dataFile("ruolo-tari-1252.csv")));
  auto endpoint = makeLookup(kTari1252);
  CHECK(endpoint->index()->size() == 4);
  CHECK(rows(*endpoint, R"({"codice_fiscale":"RSSMRA80A01A662A","anno":"2024","x":[1]})") ==
        "codice_fiscale=RSSMRA80A01A662A|anno=2024|tributo=TARI|importo=1.234,56|"
        "scadenza=31/07/2024|descrizione=Tassa rifiuti – città di Bari\n"
        "codice_fiscale=RSSMRA80A01A662A|anno=2024|tributo=TARI|importo=-0,50|"
        "scadenza=02/12/2024|descrizione=Conguaglio “€ 0,50” perché già pagato\n");
  CHECK(rows(*endpoint, R"({"codice_fiscale":"RSSMRA80A01A662A","anno":2023})") ==
        "codice_fiscale=RSSMRA80A01A662A|anno=2023|tributo=TARI|importo=182,5|"
        "scadenza=31/07/2023|descrizione=Rata unica\n");
  CHECK(rows(*endpoint,
             "<lookup xmlns=\"urn:egovbus:csv\"><key name=\"anno\">2024</key>"
             "<key name=\"codice_fiscale\">VRDGPP75B12F284X</key></lookup>") ==
        "codice_fiscale=VRDGPP75B12F284X|anno=2024|tributo=TARI|importo=99,00|"
        "scadenza=31/07/2024|descrizione=Molfetta; \"sede\" legale\n");
}

TEST_CASE_FIXTURE(CsvFixture, "csv lookup: no match is an empty <rows/>; the reply's shape") {
  write("codici.csv", "codice,valore\nA,uno & <due>\n");
  auto endpoint = makeLookup(kSimple);
  auto none = call(*endpoint, R"({"codice":"Z"})");
  REQUIRE(none.ok());
  CHECK(core::serializeXml(**none) == "<rows xmlns=\"urn:egovbus:csv\"/>");
  auto one = call(*endpoint, R"({"codice":"A"})");
  REQUIRE(one.ok());
  CHECK(core::serializeXml(**one) ==
        "<rows xmlns=\"urn:egovbus:csv\"><row><field name=\"codice\">A</field>"
        "<field name=\"valore\">uno &amp; &lt;due&gt;</field></row></rows>");
  // Keys compare exactly: no trimming, no case folding.
  CHECK(rows(*endpoint, R"({"codice":"a"})") == "");
  CHECK(rows(*endpoint, R"({"codice":" A"})") == "");
}

TEST_CASE_FIXTURE(CsvFixture, "csv lookup: a UTF-8 file with a byte order mark") {
  write("codici.csv", slurp(dataFile("listino-bom-utf8.csv")));
  auto endpoint = makeLookup(kSimple);
  CHECK(endpoint->index()->columns().front() == "codice");
  CHECK(rows(*endpoint, R"({"codice":"A1"})") ==
        "codice=A1|descrizione=Caffè ristretto|importo=1,20\n");
  CHECK(rows(*endpoint, R"({"codice":"B2"})") == "codice=B2|descrizione=Due\nrighe|importo=3\n");
}

TEST_CASE_FIXTURE(CsvFixture, "csv lookup: a request of the wrong shape is a mapping failure") {
  write("ruolo.csv", slurp(dataFile("ruolo-tari-1252.csv")));
  auto endpoint = makeLookup(kTari1252);
  CHECK(rows(*endpoint, R"({"codice_fiscale":"RSSMRA80A01A662A"})") ==
        "ERROR: mapping-failed: bari/ruolo: key column 'anno' is missing from the request");
  CHECK(rows(*endpoint, R"({"codice_fiscale":"X","anno":true})") ==
        "ERROR: mapping-failed: bari/ruolo: member 'anno' must be a string, not boolean");
  CHECK(rows(*endpoint, R"(["a"])") ==
        "ERROR: mapping-failed: bari/ruolo: expected a JSON map or a {urn:egovbus:csv}lookup "
        "envelope, not {http://www.w3.org/2005/xpath-functions}array");
  CHECK(rows(*endpoint,
             "<lookup xmlns=\"urn:egovbus:csv\"><key name=\"anno\">1</key>"
             "<key name=\"comune\">x</key></lookup>") ==
        "ERROR: mapping-failed: bari/ruolo: <key name=\"comune\"> is not a key column (key: "
        "codice_fiscale, anno)");
  CHECK(rows(*endpoint, "<lookup xmlns=\"urn:egovbus:csv\"><key name=\"anno\">1</key></lookup>") ==
        "ERROR: mapping-failed: bari/ruolo: key column 'codice_fiscale' is missing from the "
        "request");
}

TEST_CASE_FIXTURE(CsvFixture, "csv lookup: re-indexes when the file is replaced") {
  write("codici.csv", "codice,valore\nA,uno\n");
  auto endpoint = makeLookup(kSimple);
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "codice=A|valore=uno\n");
  CHECK(endpoint->refresh() == CsvLookupEndpoint::Refresh::unchanged);

  // Every version has a different size: in-place rewrites within one file-system timestamp
  // tick are told apart by size, and renamed files by inode (a freed one may be reused).
  replace("codici.csv", "codice,valore\nA,ancora uno\nB,due\n");
  const auto before = endpoint->index();
  CHECK(rows(*endpoint, R"({"codice":"B"})") == "codice=B|valore=due\n");  // the call reloads
  CHECK(endpoint->index() != before);
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "codice=A|valore=ancora uno\n");
  CHECK(endpoint->refresh() == CsvLookupEndpoint::Refresh::unchanged);

  // Rewritten in place, same inode.
  write("codici.csv", "codice,valore\nC,tre\n");
  CHECK(endpoint->refresh() == CsvLookupEndpoint::Refresh::reloaded);
  CHECK(rows(*endpoint, R"({"codice":"C"})") == "codice=C|valore=tre\n");
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "");
}

TEST_CASE_FIXTURE(CsvFixture, "csv lookup: calls from several threads while the file changes") {
  write("codici.csv", "codice,valore\nA,v\n");
  auto endpoint = makeLookup(kSimple);
  auto body = core::jsonToXml(R"({"codice":"A"})");
  REQUIRE(body.ok());
  std::atomic<int> wrong{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      core::Exchange exchange;
      exchange.id = kExchangeId;
      for (int i = 0; i < 200; ++i) {
        const core::CallRequest request{exchange, **body,
                                        core::Clock::now() + std::chrono::seconds(30)};
        auto reply = test::runCoroutine(endpoint->call(request));
        // Some version of row A, whole: never a mix, never an error.
        const std::string text = reply.ok() ? core::serializeXml(**reply) : "";
        const std::string head =
            "<rows xmlns=\"urn:egovbus:csv\"><row><field name=\"codice\">A</field>"
            "<field name=\"valore\">v";
        const std::string tail = "</field></row></rows>";
        if (text.rfind(head, 0) != 0 || text.size() < head.size() + tail.size() ||
            text.compare(text.size() - tail.size(), tail.size(), tail) != 0 ||
            text.substr(head.size(), text.size() - head.size() - tail.size())
                    .find_first_not_of('x') != std::string::npos) {
          ++wrong;
        }
        ++done;
      }
    });
  }
  for (int version = 1; version <= 20; ++version) {
    replace("codici.csv", "codice,valore\nA,v" + std::string(version, 'x') + "\n");
  }
  for (auto& thread : threads) thread.join();
  CHECK(done == 800);
  CHECK(wrong == 0);
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "codice=A|valore=v" + std::string(20, 'x') + "\n");
}

TEST_CASE_FIXTURE(CsvFixture, "csv lookup: a failed re-read keeps the old index and logs once") {
  LogCapture log;
  write("codici.csv", "codice,valore\nA,uno\n");
  auto endpoint = makeLookup(kSimple);

  replace("codici.csv", "codice,valore\nA,\"never closed\n");
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "codice=A|valore=uno\n");
  CHECK(log.lines.find("cannot be indexed") != std::string::npos);
  CHECK(log.lines.find("line 2: quoted field is not closed at end of input") != std::string::npos);
  const auto logged = log.lines.size();
  CHECK(endpoint->refresh() == CsvLookupEndpoint::Refresh::failed);
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "codice=A|valore=uno\n");
  CHECK(log.lines.size() == logged);  // the same bad file is neither re-read nor re-logged

  std::filesystem::remove(dir / "codici.csv");
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "codice=A|valore=uno\n");
  CHECK(log.lines.find("codici.csv: cannot read file") != std::string::npos);

  replace("codici.csv", "codice,valore\nA,uno corretto\n");
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "codice=A|valore=uno corretto\n");
  CHECK(log.lines.find("re-indexed") != std::string::npos);
}

TEST_CASE_FIXTURE(CsvFixture, "csv lookup: reload false keeps the index loaded at start") {
  write("codici.csv", "codice,valore\nA,uno\n");
  auto endpoint = makeLookup(std::string(kSimple) + "    reload: false\n");
  replace("codici.csv", "codice,valore\nA,cambiato\n");
  CHECK(rows(*endpoint, R"({"codice":"A"})") == "codice=A|valore=uno\n");
}

TEST_CASE_FIXTURE(CsvFixture, "csv config errors name file, line and column") {
  write("codici.csv", "codice,valore\nA,uno\n");
  write("ragged.csv", "codice,valore\nA\n");
  write("latin.csv", "codice,valore\nA,citt\xE0\n");
  write("bom.csv",
        "\xEF\xBB\xBF"
        "codice,valore\nA,uno\n");
  struct Case {
    std::string settings, error;
  };
  const std::vector<Case> cases = {
      {"    type: csv\n    mode: lookup\n    file: missing.csv\n    key: codice\n",
       "tenant.yaml:5:11: endpoints.ruolo.file: missing.csv: cannot read file\n"},
      {"    type: csv\n    mode: lookup\n    file: codici.csv\n    key: [codice, anno]\n",
       "tenant.yaml:6:10: endpoints.ruolo.key: codici.csv: line 1: no key column 'anno' in the "
       "header (columns: codice, valore)\n"},
      {"    type: csv\n    mode: lookup\n    file: ragged.csv\n    key: codice\n",
       "tenant.yaml:5:11: endpoints.ruolo.file: ragged.csv: line 2: 1 fields, the header has 2\n"},
      {"    type: csv\n    mode: lookup\n    file: latin.csv\n    key: codice\n",
       "tenant.yaml:5:11: endpoints.ruolo.file: latin.csv: invalid UTF-8 sequence at byte offset "
       "20\n"},
      {"    type: csv\n    mode: lookup\n    file: bom.csv\n    key: codice\n"
       "    charset: windows-1252\n",
       "tenant.yaml:5:11: endpoints.ruolo.file: bom.csv: starts with a UTF-8 byte order mark; "
       "set charset: utf-8\n"},
      {"    type: csv\n    mode: lookup\n    file: codici.csv\n    key: codice\n"
       "    delimiter: \"|\"\n",
       "tenant.yaml:7:16: endpoints.ruolo.delimiter: expected \",\", \";\" or tab\n"},
      {"    type: csv\n    mode: lookup\n    file: codici.csv\n    key: codice\n"
       "    charset: latin9\n",
       "tenant.yaml:7:14: endpoints.ruolo.charset: unknown charset latin9 (known: utf-8, "
       "windows-1252, iso-8859-1)\n"},
      {"    type: csv\n    mode: lookup\n    file: codici.csv\n    key: codice\n"
       "    relaod: true\n",
       "tenant.yaml:7:5: endpoints.ruolo.relaod: unknown key\n"},
      {"    type: csv\n    mode: lookup\n    file: codici.csv\n    key: []\n",
       "tenant.yaml:6:10: endpoints.ruolo.key: expected at least one column name\n"},
      {"    type: csv\n    mode: lookup\n    file: codici.csv\n    key: [codice, codice]\n",
       "tenant.yaml:6:10: endpoints.ruolo.key: column 'codice' is listed twice\n"},
      {"    type: csv\n    mode: lookup\n    file: codici.csv\n",
       "tenant.yaml:3:5: endpoints.ruolo.key: missing key\n"},
      {"    type: csv\n    file: codici.csv\n",
       "tenant.yaml:3:5: endpoints.ruolo.mode: missing key\n"},
      {"    type: csv\n    mode: batch\n",
       "tenant.yaml:4:11: endpoints.ruolo.mode: expected lookup or output\n"},
      {"    type: csv\n    mode: output\n    folder: nowhere\n    columns: [a]\n",
       "tenant.yaml:5:13: endpoints.ruolo.folder: not a directory: nowhere\n"},
      {"    type: csv\n    mode: output\n    folder: out\n    columns: [a]\n    key: a\n"
       "    prefix: ../x\n    line_ending: cr\n",
       "tenant.yaml:7:5: endpoints.ruolo.key: unknown key\n"
       "tenant.yaml:8:13: endpoints.ruolo.prefix: '../x' is not a file name prefix (letters, "
       "digits, '.', '_', '-'; not starting with '.')\n"
       "tenant.yaml:9:18: endpoints.ruolo.line_ending: expected crlf or lf\n"},
      {"    type: csv\n    mode: output\n    folder: out\n",
       "tenant.yaml:3:5: endpoints.ruolo.columns: missing key\n"},
      // Wrong types.
      {"    type: csv\n    mode: lookup\n    file: codici.csv\n    key: codice\n"
       "    reload: sometimes\n",
       "tenant.yaml:7:13: endpoints.ruolo.reload: expected true or false\n"},
      {"    type: csv\n    mode: lookup\n    file: [codici.csv]\n    key: codice\n",
       "tenant.yaml:5:11: endpoints.ruolo.file: expected a string\n"},
      {"    type: csv\n    mode: output\n    folder: out\n    columns: { a: b }\n",
       "tenant.yaml:6:14: endpoints.ruolo.columns: expected a list\n"},
  };
  for (const auto& c : cases) {
    INFO(c.settings);
    CHECK(make(c.settings) == nullptr);
    CHECK(errorText() == c.error);
  }
}

TEST_CASE_FIXTURE(CsvFixture, "csv output: writes one file per call, header first") {
  auto endpoint = make(
      "    type: csv\n    mode: output\n    folder: out\n    prefix: esiti\n"
      "    columns: [codice_fiscale, importo, esito]\n    delimiter: \";\"\n");
  REQUIRE(endpoint != nullptr);
  auto reply = call(*endpoint,
                    "<rows xmlns=\"urn:egovbus:csv\">"
                    "<row><field name=\"esito\">pagato; \"ok\"</field>"
                    "<field name=\"codice_fiscale\">RSSMRA80A01A662A</field>"
                    "<field name=\"importo\">1.234,56</field></row>"
                    "<row><field name=\"codice_fiscale\">VRDGPP75B12F284X</field></row>"
                    "</rows>");
  REQUIRE(reply.ok());
  const std::string name = std::string("esiti-") + kExchangeId + ".csv";
  CHECK(core::serializeXml(**reply) ==
        "<written xmlns=\"urn:egovbus:csv\" file=\"" + name + "\" rows=\"2\"/>");
  CHECK(slurp(dir / "out" / name) ==
        "codice_fiscale;importo;esito\r\n"
        "RSSMRA80A01A662A;1.234,56;\"pagato; \"\"ok\"\"\"\r\n"
        "VRDGPP75B12F284X;;\r\n");
  // Published by rename: the folder holds the final file and no temporary one.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "out")) {
    names.push_back(entry.path().filename().string());
  }
  CHECK(names == std::vector<std::string>{name});
}

TEST_CASE_FIXTURE(CsvFixture, "csv output: a JSON array of maps, LF endings, default prefix") {
  auto endpoint = make(
      "    type: csv\n    mode: output\n    folder: out\n    columns: [a, b, c]\n"
      "    line_ending: lf\n");
  REQUIRE(endpoint != nullptr);
  auto reply = call(*endpoint, R"([{"a":"x\r\ny","b":1.50,"c":true},{"c":null},{}])");
  REQUIRE(reply.ok());
  const std::string name = std::string("ruolo-") + kExchangeId + ".csv";
  CHECK(core::xmlAttr(xmlDocGetRootElement(reply->get()), "rows") == "3");
  CHECK(slurp(dir / "out" / name) == "a,b,c\n\"x\r\ny\",1.50,true\n,,\n,,\n");
}

TEST_CASE_FIXTURE(CsvFixture, "csv output: an unknown field fails and writes nothing") {
  auto endpoint = make("    type: csv\n    mode: output\n    folder: out\n    columns: [a, b]\n");
  REQUIRE(endpoint != nullptr);
  auto reply = call(*endpoint, R"([{"a":"1"},{"a":"2","z":"3"}])");
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::mapping_failed);
  CHECK(reply.error().message == "bari/ruolo: row 2: unknown field 'z' (columns: a, b)");
  auto nested = call(*endpoint, R"([{"a":{"b":1}}])");
  CHECK(nested.error().message ==
        "bari/ruolo: row 1: field 'a' must be a string, number, boolean or null, not map");
  auto wrong = call(*endpoint, "<righe/>");
  CHECK(wrong.error().message ==
        "bari/ruolo: expected {urn:egovbus:csv}rows or a JSON array of maps, not <righe>");
  CHECK(std::filesystem::is_empty(dir / "out"));
}

TEST_CASE_FIXTURE(CsvFixture, "csv output: a folder that disappeared is backend_unavailable") {
  auto endpoint = make("    type: csv\n    mode: output\n    folder: out\n    columns: [a]\n");
  REQUIRE(endpoint != nullptr);
  std::filesystem::remove(dir / "out");
  auto reply = call(*endpoint, R"([{"a":"1"}])");
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::backend_unavailable);
}

TEST_CASE("csv end to end: JSON in, XSLT, csv lookup, XSLT, JSON out") {
  test::TempConfig config;
  config.write("conf/profiles/csv-tari.yaml",
               "routes:\n"
               "  - service: tributi.posizioni\n"
               "    methods: [GET]\n"
               "    steps:\n"
               "      - map: csv/posizioni-request.xsl\n"
               "      - call: ruolo\n"
               "      - map: csv/posizioni-response.xsl\n");
  config.write("conf/tenants/072006-bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
               "profile: csv-tari\n"
               "endpoints:\n"
               "  ruolo: { type: csv, mode: lookup, file: ruolo.csv, delimiter: \";\",\n"
               "           charset: windows-1252, key: [codice_fiscale, anno] }\n");
  config.write("conf/tenants/ruolo.csv", slurp(dataFile("ruolo-tari-1252.csv")));
  for (const char* xsl : {"posizioni-request.xsl", "posizioni-response.xsl"}) {
    config.write(std::string("mappings/csv/") + xsl, slurp(dataFile(xsl)));
  }
  // The registry of the build plus csv, so this test does not depend on register.cpp.
  core::AdapterRegistry registry;
  adapters::registerBuiltinAdapters(registry);
  registry.add("csv", adapters::csv::makeCsvEndpoint);
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
  const auto key = config.apiKey();
  core::Bus bus(config.root() / "conf/bus.yaml", registry, config.runtime());
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  core::ApiHandler api(bus);

  auto get = [&](const std::string& target) {
    HttpRequest request{http::verb::get, target, 11};
    request.set(http::field::authorization, "Bearer " + key);
    request.prepare_payload();
    return test::runCoroutine(api.handle(std::move(request)));
  };
  auto found = get("/api/v1/bari/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A&anno=2024");
  CHECK(found.result_int() == 200);
  CHECK(found.body() ==
        R"({"positions":[)"
        R"({"tax":"TARI","year":2024,"amount":1234.56,"amount_it":"1.234,56",)"
        R"("due_date":"2024-07-31","description":"Tassa rifiuti – città di Bari"},)"
        R"({"tax":"TARI","year":2024,"amount":-0.50,"amount_it":"-0,50",)"
        R"("due_date":"2024-12-02","description":"Conguaglio “€ 0,50” perché già pagato"}]})");
  auto none = get("/api/v1/072006/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A&anno=2020");
  CHECK(none.result_int() == 200);
  CHECK(none.body() == R"({"positions":[]})");
  auto missing = get("/api/v1/bari/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A");
  CHECK(missing.result_int() == 500);
  CHECK(missing.body().find("urn:egovbus:problem:mapping-failed") != std::string::npos);
  CHECK(missing.body().find("bari/ruolo: key column 'anno' is missing from the request") !=
        std::string::npos);
}
