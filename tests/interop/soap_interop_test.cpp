// The soap adapter against a third-party SOAP stack: node-soap serving tributi.wsdl
// (soap_server.js), called through whole routes (map -> call soap -> map) of the unified REST
// interface, in SOAP 1.1 and 1.2, with a WS-Security PasswordDigest that node-soap checks.
// `make deps` installs node-soap (npm ci --prefix tests/interop).
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <rapidjson/document.h>

#include "core/engine/bus.hpp"
#include "core/log/log.hpp"
#include "core/net/api.hpp"
#include "core/net/http_server.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/served_bus.hpp"
#include "tests/support/temp_config.hpp"

extern char** environ;

namespace {

using namespace egov;
using egov::test::TempConfig;

const std::filesystem::path kInteropDir = std::filesystem::path(EGOV_SOURCE_DIR) / "tests/interop";
constexpr const char* kPassword = "segreto-interop";

// node soap_server.js as a child process, killed when the test ends however it ends.
class NodeSoapServer {
 public:
  NodeSoapServer() {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const std::string script = (kInteropDir / "soap_server.js").string();
    char* argv[] = {const_cast<char*>("node"), const_cast<char*>(script.c_str()), nullptr};
    const int rc = posix_spawnp(&pid_, "node", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fds[0];
    REQUIRE_MESSAGE(rc == 0, "cannot start node (is it on PATH? make deps installs it)");
    port_ = readPort();
    REQUIRE_MESSAGE(port_ > 0, "soap_server.js did not print its port");
  }
  ~NodeSoapServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      // A bounded wait, then no more politeness: a test must not leave a server behind.
      for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (i == 99) {
          kill(pid_, SIGKILL);
          waitpid(pid_, &status, 0);
        }
      }
    }
    if (out_ >= 0) close(out_);
  }
  NodeSoapServer(const NodeSoapServer&) = delete;
  NodeSoapServer& operator=(const NodeSoapServer&) = delete;

  std::string url(const char* path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int readPort() {
    std::string line;
    // Start-up takes well under a second; the limit only keeps a broken install from hanging.
    while (line.find('\n') == std::string::npos) {
      pollfd ready{out_, POLLIN, 0};
      if (poll(&ready, 1, 30'000) != 1) return 0;
      char buffer[64];
      const ssize_t n = read(out_, buffer, sizeof buffer);
      if (n <= 0) return 0;
      line.append(buffer, static_cast<std::size_t>(n));
    }
    return std::atoi(line.c_str());
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

const char* kProfile =
    "routes:\n"
    "  - service: tributi.posizioni\n"
    "    methods: [GET]\n"
    "    steps:\n"
    "      - map: tributi-soap/richiesta.xsl\n"
    "      - call: tributi\n"
    "      - map: tributi-soap/risposta.xsl\n";

const char* kRequestXsl =
    "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
    "    xmlns:fn=\"http://www.w3.org/2005/xpath-functions\"\n"
    "    xmlns:t=\"urn:comune:tributi:posizioni\" exclude-result-prefixes=\"fn\">\n"
    "  <xsl:template match=\"/fn:map\">\n"
    "    <t:ElencoPosizioniRichiesta>\n"
    "      <t:codiceFiscale><xsl:value-of select=\"fn:string[@key='codice_fiscale']\"/>"
    "</t:codiceFiscale>\n"
    "      <t:anno><xsl:value-of select=\"fn:string[@key='anno']\"/></t:anno>\n"
    "    </t:ElencoPosizioniRichiesta>\n"
    "  </xsl:template>\n"
    "</xsl:stylesheet>\n";

const char* kResponseXsl =
    "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
    "    xmlns=\"http://www.w3.org/2005/xpath-functions\"\n"
    "    xmlns:t=\"urn:comune:tributi:posizioni\" exclude-result-prefixes=\"t\">\n"
    "  <xsl:template match=\"/t:ElencoPosizioniRisposta\">\n"
    "    <map><array key=\"posizioni\">\n"
    "      <xsl:for-each select=\"t:posizione\"><map>\n"
    "        <string key=\"tributo\"><xsl:value-of select=\"t:tributo\"/></string>\n"
    "        <number key=\"anno\"><xsl:value-of select=\"t:anno\"/></number>\n"
    "        <number key=\"importo\"><xsl:value-of select=\"t:importo\"/></number>\n"
    "        <string key=\"scadenza\"><xsl:value-of select=\"t:scadenza\"/></string>\n"
    "        <string key=\"stato\"><xsl:value-of select=\"t:stato\"/></string>\n"
    "      </map></xsl:for-each>\n"
    "    </array></map>\n"
    "  </xsl:template>\n"
    "</xsl:stylesheet>\n";

std::string tenant(const char* istat, const char* slug, const std::string& url, const char* version,
                   const char* password_ref) {
  return std::string("tenant: { istat: \"") + istat + "\", slug: " + slug + ", name: X }\n" +
         "profile: tributi-soap\n"
         "endpoints:\n"
         "  tributi:\n"
         "    type: soap\n"
         "    url: \"" +
         url + "\"\n" + "    version: \"" + version + "\"\n" +
         "    action: urn:comune:tributi:posizioni/ElencoPosizioni\n"
         "    timeout: 20s\n"
         "    wssec:\n"
         "      username: bus-bari\n"
         "      password: \"" +
         password_ref + "\"\n" + "      password_type: digest\n";
}

struct InteropFixture {
  std::unique_ptr<NodeSoapServer> node;
  TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;

  InteropFixture() {
    REQUIRE_MESSAGE(std::filesystem::exists(kInteropDir / "node_modules/soap/package.json"),
                    "node-soap is not installed: run `make deps` (npm ci --prefix tests/interop)");
    // Read by soap_server.js (inherited) and by the tenants' ${env:} references.
    setenv("EGOV_INTEROP_PASSWORD", kPassword, 1);
    setenv("EGOV_INTEROP_WRONG_PASSWORD", "indovina", 1);
    node = std::make_unique<NodeSoapServer>();
    config.write("conf/bus.yaml", "listen: 127.0.0.1:0\nroutes: { default_deadline: 30s }\n");
    config.write("conf/profiles/tributi-soap.yaml", kProfile);
    config.write("mappings/tributi-soap/richiesta.xsl", kRequestXsl);
    config.write("mappings/tributi-soap/risposta.xsl", kResponseXsl);
    config.write("conf/tenants/bari.yaml", tenant("072006", "bari", node->url("/tributi"), "1.1",
                                                  "${env:EGOV_INTEROP_PASSWORD}"));
    config.write("conf/tenants/molfetta.yaml", tenant("072029", "molfetta", node->url("/tributi12"),
                                                      "1.2", "${env:EGOV_INTEROP_PASSWORD}"));
    config.write("conf/tenants/bitonto.yaml", tenant("072011", "bitonto", node->url("/tributi"),
                                                     "1.1", "${env:EGOV_INTEROP_WRONG_PASSWORD}"));
    key = config.apiKey();
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }
  std::string key;

  HttpResponse get(const std::string& target) {
    HttpRequest request{http::verb::get, target, 11};
    request.set(http::field::authorization, "Bearer " + key);
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
};

std::string problemType(const HttpResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body().c_str());
  REQUIRE(!doc.HasParseError());
  return doc["type"].GetString();
}

}  // namespace

TEST_CASE_FIXTURE(InteropFixture,
                  "soap interop: node-soap answers a whole route, SOAP 1.1 and 1.2") {
  const std::string expected =
      R"({"posizioni":[)"
      R"({"tributo":"TARI","anno":2024,"importo":182.50,"scadenza":"2024-07-31","stato":"pagato"},)"
      R"({"tributo":"IMU","anno":2024,"importo":410.00,"scadenza":"2024-12-16","stato":"da pagare"}]})";
  for (const char* tenant_slug : {"bari", "molfetta"}) {
    CAPTURE(tenant_slug);
    auto response = get(std::string("/api/v1/") + tenant_slug +
                        "/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A&anno=2024");
    CHECK(response.result_int() == 200);
    CHECK(response.body() == expected);
  }
  auto none = get("/api/v1/bari/tributi/posizioni?codice_fiscale=VRDGPP80A01A662B&anno=2024");
  CHECK(none.result_int() == 200);
  CHECK(none.body() == R"({"posizioni":[]})");
}

TEST_CASE_FIXTURE(InteropFixture,
                  "soap interop: node-soap faults become backend-rejected problems") {
  for (const char* tenant_slug : {"bari", "molfetta"}) {
    CAPTURE(tenant_slug);
    auto response = get(std::string("/api/v1/") + tenant_slug +
                        "/tributi/posizioni?codice_fiscale=XXXXXX00X00X000X&anno=2024");
    CHECK(response.result_int() == 502);
    CHECK(problemType(response) == "urn:egovbus:problem:backend-rejected");
    CHECK(response.body().find("SOAP fault soap:") != std::string::npos);
    CHECK(response.body().find("codice fiscale sconosciuto") != std::string::npos);
  }
  // node-soap refuses the UsernameToken digest of a wrong password with its own fault (401).
  auto refused = get("/api/v1/bitonto/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A&anno=2024");
  CHECK(refused.result_int() == 502);
  CHECK(problemType(refused) == "urn:egovbus:problem:backend-rejected");
}

// A vendor's own fault (code TRB-042 in its detail, with a description naming the citizen)
// mapped by the route to a canonical answer; other faults, left unhandled, stay errors.
TEST_CASE("soap interop: a route maps node-soap's vendor fault to a canonical answer") {
  REQUIRE_MESSAGE(std::filesystem::exists(kInteropDir / "node_modules/soap/package.json"),
                  "node-soap is not installed: run `make deps` (npm ci --prefix tests/interop)");
  setenv("EGOV_INTEROP_PASSWORD", kPassword, 1);
  NodeSoapServer node;
  TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\nroutes: { default_deadline: 30s }\n");
  config.write("conf/profiles/tributi-soap.yaml",
               "routes:\n"
               "  - service: tributi.posizioni\n"
               "    methods: [GET]\n"
               "    steps:\n"
               "      - map: tributi-soap/richiesta.xsl\n"
               "      - call: tributi\n"
               "      - choose:\n"
               "          - when: \"/*[local-name() = 'fault'][.//*[local-name() = 'codice'] = "
               "'TRB-042']\"\n"
               "            steps: [ { map: tributi-soap/sospesa.xsl }, { reply: { status: 409 } "
               "} ]\n"
               "          - when: \"not(/*[local-name() = 'fault'])\"\n"
               "            steps: [ { map: tributi-soap/risposta.xsl } ]\n");
  config.write("mappings/tributi-soap/richiesta.xsl", kRequestXsl);
  config.write("mappings/tributi-soap/risposta.xsl", kResponseXsl);
  // Only the vendor's code goes to the caller: the description stays behind.
  config.write("mappings/tributi-soap/sospesa.xsl",
               "<xsl:stylesheet version=\"1.0\" "
               "xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
               "    xmlns=\"http://www.w3.org/2005/xpath-functions\" "
               "xmlns:s=\"urn:egovbus:soap\" exclude-result-prefixes=\"s\">\n"
               "  <xsl:template match=\"/s:fault\">\n"
               "    <map><string key=\"esito\">sospesa</string>\n"
               "      <string key=\"codice\"><xsl:value-of "
               "select=\"s:detail//*[local-name() = 'codice']\"/></string></map>\n"
               "  </xsl:template>\n"
               "</xsl:stylesheet>\n");
  for (const auto& [istat, slug, path, version] :
       {std::tuple{"072006", "bari", "/tributi", "1.1"},
        std::tuple{"072029", "molfetta", "/tributi12", "1.2"}}) {
    config.write(std::string("conf/tenants/") + slug + ".yaml",
                 tenant(istat, slug, node.url(path), version, "${env:EGOV_INTEROP_PASSWORD}") +
                     "    faults: reply\n");
  }
  const std::string key = config.apiKey();
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  core::ApiHandler api(bus);
  auto get = [&](const std::string& target) {
    HttpRequest request{http::verb::get, target, 11};
    request.set(http::field::authorization, "Bearer " + key);
    request.prepare_payload();
    return test::runCoroutine(api.handle(std::move(request)));
  };

  static std::string logged;
  logged.clear();
  core::setLogLevel(core::LogLevel::debug);
  core::setLogSink([](std::string_view line) { logged.append(line).push_back('\n'); });
  for (const char* slug : {"bari", "molfetta"}) {
    CAPTURE(slug);
    auto sospesa = get(std::string("/api/v1/") + slug +
                       "/tributi/posizioni?codice_fiscale=BLCMRA80A01A662C"
                       "&anno=2024");
    CHECK(sospesa.result_int() == 409);
    CHECK(sospesa.body() == R"({"esito":"sospesa","codice":"TRB-042"})");
    // Still a normal answer when there is no fault.
    auto ok = get(std::string("/api/v1/") + slug +
                  "/tributi/posizioni?codice_fiscale=VRDGPP80A01A662B&anno=2024");
    CHECK(ok.result_int() == 200);
    CHECK(ok.body() == R"({"posizioni":[]})");
    // A fault no branch takes stays the error it is, without its detail.
    auto unknown = get(std::string("/api/v1/") + slug +
                       "/tributi/posizioni?codice_fiscale=XXXXXX00X00X000X&anno=2024");
    CHECK(unknown.result_int() == 502);
    CHECK(problemType(unknown) == "urn:egovbus:problem:backend-rejected");
    CHECK(unknown.body().find("SOAP fault soap:") != std::string::npos);
    CHECK(unknown.body().find("codice fiscale sconosciuto") != std::string::npos);
  }
  core::setLogSink([](std::string_view) {});
  core::setLogLevel(core::LogLevel::info);
  CHECK(logged.find("ricorso pendente") == std::string::npos);
}

// --- The bus as a SOAP server: node-soap's client, loaded with the WSDL the bus serves, calls
// the soap inbound handler, whose route calls the node-soap service above (a SOAP proxy
// between two third-party stacks).

namespace {

// Runs `node soap_client.js args...` and returns its one line of JSON output.
std::string runNodeClient(const std::vector<std::string>& args) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  const std::string script = (kInteropDir / "soap_client.js").string();
  std::vector<std::string> all{"node", script};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  REQUIRE_MESSAGE(rc == 0, "cannot start node");
  std::string out;
  while (true) {
    pollfd ready{fds[0], POLLIN, 0};
    if (poll(&ready, 1, 60'000) != 1) {
      kill(pid, SIGKILL);
      break;
    }
    char buffer[4096];
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

struct InboundInterop {
  std::unique_ptr<NodeSoapServer> node;
  TempConfig config;
  std::unique_ptr<test::ServedBus> served;

  InboundInterop() {
    REQUIRE_MESSAGE(std::filesystem::exists(kInteropDir / "node_modules/soap/package.json"),
                    "node-soap is not installed: run `make deps` (npm ci --prefix tests/interop)");
    setenv("EGOV_INTEROP_PASSWORD", kPassword, 1);
    node = std::make_unique<NodeSoapServer>();
    config.copy("tests/interop/tributi.wsdl").copy("tests/data/soap/posizioni-richiesta.xsd");
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "routes: { default_deadline: 30s }\n"
                 "inbound:\n"
                 "  tributi:\n"
                 "    type: soap\n"
                 "    path: \"/soap/{tenant}/tributi\"\n"
                 "    wsdl: ../tests/interop/tributi.wsdl\n"
                 "    schema: ../tests/data/soap/posizioni-richiesta.xsd\n"
                 "    operations:\n"
                 "      \"{urn:comune:tributi:posizioni}ElencoPosizioniRichiesta\": "
                 "tributi.posizioni\n");
    config.write("conf/profiles/tributi-proxy.yaml",
                 "routes:\n  - service: tributi.posizioni\n    steps: [ { call: tributi } ]\n");
    std::string bari =
        tenant("072006", "bari", node->url("/tributi"), "1.1", "${env:EGOV_INTEROP_PASSWORD}");
    bari.replace(bari.find("tributi-soap"), 12, "tributi-proxy");
    config.write("conf/tenants/bari.yaml", bari);
    key = config.apiKey("portale-bari", {"bari"}, {"tributi.*"});
    served = std::make_unique<test::ServedBus>(config);
  }

  std::string key;  // a client scoped to Bari's tributi services

  // node-soap's client with the key (the refusals are tested in soap_inbound_test.cpp).
  rapidjson::Document call(const char* cf, const char* anno, const char* version) {
    const std::string wsdl = served->url("/soap/bari/tributi?wsdl");
    setenv("EGOV_API_KEY", key.c_str(), 1);
    const std::string out = runNodeClient({wsdl, cf, anno, version});
    CAPTURE(out);
    rapidjson::Document doc;
    doc.Parse(out.c_str());
    REQUIRE_MESSAGE(!doc.HasParseError(), "node-soap client printed no JSON: " << out);
    return doc;
  }
};

}  // namespace

TEST_CASE("soap inbound interop: node-soap's client calls the bus with the WSDL it serves") {
  InboundInterop running;
  for (const char* version : {"1.1", "1.2"}) {
    CAPTURE(version);
    auto reply = running.call("RSSMRA80A01A662A", "2024", version);
    REQUIRE(reply.HasMember("result"));
    const auto& positions = reply["result"]["posizione"];
    REQUIRE(positions.IsArray());
    REQUIRE(positions.Size() == 2);
    CHECK(std::string(positions[0]["tributo"].GetString()) == "TARI");
    CHECK(std::string(positions[1]["stato"].GetString()) == "da pagare");
  }
}

TEST_CASE("soap inbound interop: node-soap's client gets the bus's faults") {
  InboundInterop running;
  // The back-end's own fault, passed on as the bus's Server fault.
  auto refused = running.call("XXXXXX00X00X000X", "2024", "1.1");
  REQUIRE(refused.HasMember("fault"));
  CHECK(std::string(refused["fault"]["faultcode"].GetString()) == "soap:Server");
  const std::string text = refused["fault"]["faultstring"].GetString();
  CHECK(text.find("backend-rejected") != std::string::npos);
  CHECK(text.find("codice fiscale sconosciuto") != std::string::npos);
  CHECK(refused["status"].GetInt() == 500);
  // A request the schema refuses never reaches the back-end: a Sender fault in SOAP 1.2.
  auto invalid = running.call("RSSMRA80A01A662A", "duemila", "1.2");
  REQUIRE(invalid.HasMember("fault"));
  CHECK(std::string(invalid["fault"]["Code"]["Value"].GetString()) == "soap:Sender");
  CHECK(invalid["status"].GetInt() == 400);
}
