// The demo flow over real sockets: a client → the bus (Beast) → XSLT → a REST back-end
// (a test server on port 0) → XSLT → JSON back to the client.
#include <doctest/doctest.h>

#include <curl/curl.h>

#include <cstdlib>
#include <thread>

#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "core/net/http_server.hpp"
#include "tests/support/served_bus.hpp"
#include "tests/support/temp_config.hpp"
#include "tests/support/test_http_server.hpp"

using namespace egov;

namespace {

const char* kBackendReply =
    R"({"contribuente":"RSSMRA80A01A662A","posizioni":[)"
    R"({"tributo":"TARI","anno":2025,"importo":"190.00","scadenza":"2025-07-31","stato":"DA_PAGARE"}]})";

struct CurlReply {
  long status = 0;
  std::string body;
  std::string content_type;
};

size_t collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// The API key requests to /api/ carry (set by RunningBus).
std::string g_api_key;

// A blocking client is fine here: it runs on the test thread, not on the bus's threads.
CurlReply fetch(CURL* curl, const std::string& url, const std::string& body = {},
                std::vector<std::string> headers = {}) {
  CurlReply reply;
  if (url.find("/api/") != std::string::npos && !g_api_key.empty()) {
    headers.push_back("Authorization: Bearer " + g_api_key);
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  REQUIRE(curl_easy_perform(curl) == CURLE_OK);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  if (type) reply.content_type = type;
  curl_slist_free_all(list);
  return reply;
}

struct RunningBus {
  test::TempConfig config;
  test::TestHttpServer backend{[](const test::TestHttpRequest& request) {
    if (request.target.rfind("/posizioni/RSSMRA80A01A662A", 0) == 0) {
      return test::TestHttpResponse{200, "application/json", kBackendReply};
    }
    return test::TestHttpResponse{404, "application/json", R"({"errore":"sconosciuto"})"};
  }};
  std::unique_ptr<test::ServedBus> served;

  RunningBus() {
    ::setenv("EGOV_E2E_BACKEND", backend.url().c_str(), 1);
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "limits: { max_body: 4KiB, max_header: 2KiB }\n"
                 "tables:\n  stati-tributo: { file: demo/stati-tributo.csv, key: codice }\n");
    config.copy("conf/demo/stati-tributo.csv").copy("conf/profiles/demo-rest.yaml");
    config.copy("mappings/demo-rest/domanda-request.xsl")
        .copy("mappings/demo-rest/posizioni-request.xsl")
        .copy("mappings/demo-rest/posizioni-response.xsl");
    config.write(
        "conf/tenants/bari.yaml",
        "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
        "profile: demo-rest\n"
        "endpoints:\n  tributi: { type: http, url: \"${env:EGOV_E2E_BACKEND}\", timeout: 3s }\n"
        "  welfare: { type: http, url: \"${env:EGOV_E2E_BACKEND}\" }\n"
        "params: { ente: \"C_A662\" }\n");
    g_api_key = config.apiKey("portal", {"bari"}, {"tributi.*", "welfare.*"});
    served = std::make_unique<test::ServedBus>(config);
  }
  std::string url(const std::string& target) const { return served->url(target); }
};

struct CurlHandle {
  CURL* curl = curl_easy_init();
  ~CurlHandle() { curl_easy_cleanup(curl); }
};

}  // namespace

TEST_CASE("e2e: JSON in, XSLT, REST back-end, XSLT, JSON out over real sockets") {
  RunningBus running;
  CurlHandle client;
  auto reply = fetch(
      client.curl,
      running.url("/api/v1/bari/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A&anno=2025"));
  CHECK(reply.status == 200);
  CHECK(reply.content_type == "application/json");
  CHECK(
      reply.body ==
      R"({"fiscal_code":"RSSMRA80A01A662A","tenant":"bari","positions":[)"
      R"({"tax":"TARI","year":2025,"amount":190.00,"due_date":"2025-07-31","due_date_it":"31/07/2025","status":"unpaid"}]})");

  auto requests = running.backend.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].target == "/posizioni/RSSMRA80A01A662A?anno=2025");
  CHECK(requests[0].header("X-Ente") == "C_A662");
  CHECK(requests[0].header("X-Egov-Exchange-Id").size() == 36);

  // The same connection serves a second request (keep-alive), here as a POST with a body.
  long connects = 0;
  auto again =
      fetch(client.curl, running.url("/api/v1/072006/tributi/posizioni"),
            R"({"codice_fiscale":"RSSMRA80A01A662A"})", {"Content-Type: application/json"});
  curl_easy_getinfo(client.curl, CURLINFO_NUM_CONNECTS, &connects);
  CHECK(again.status == 200);
  CHECK(connects == 0);
}

TEST_CASE("e2e: wire errors are problem+json") {
  RunningBus running;
  CurlHandle client;
  auto invalid =
      fetch(client.curl, running.url("/api/v1/bari/tributi/posizioni?codice_fiscale=NOTVALID"));
  CHECK(invalid.status == 400);
  CHECK(invalid.content_type == "application/problem+json");

  auto unknown = fetch(
      client.curl, running.url("/api/v1/bari/tributi/posizioni?codice_fiscale=VRDLCU75M41F284L"));
  CHECK(unknown.status == 502);  // the back-end's 404 is a back-end rejection
  CHECK(unknown.body.find("urn:egovbus:problem:backend-rejected") != std::string::npos);

  auto too_large =
      fetch(client.curl, running.url("/api/v1/bari/tributi/posizioni"),
            "{\"x\":\"" + std::string(5000, 'x') + "\"}", {"Content-Type: application/json"});
  CHECK(too_large.status == 413);
  CHECK(too_large.content_type == "application/problem+json");

  CurlHandle fresh;
  auto big_header =
      fetch(fresh.curl, running.url("/healthz"), {}, {"X-Big: " + std::string(3000, 'h')});
  CHECK(big_header.status == 431);
}

TEST_CASE("e2e: draining stops accepting and lets open connections close") {
  RunningBus running;
  CurlHandle client;
  CHECK(fetch(client.curl, running.url("/healthz")).status ==
        200);  // leaves a kept-alive connection
  running.served->bus().startDraining();
  running.served->server().stopAccepting();
  for (int i = 0; i < 200 && running.served->server().activeConnections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(running.served->server().activeConnections() == 0);
  CurlHandle late;
  curl_easy_setopt(late.curl, CURLOPT_URL, running.url("/healthz").c_str());
  curl_easy_setopt(late.curl, CURLOPT_TIMEOUT_MS, 2000L);
  CHECK(curl_easy_perform(late.curl) != CURLE_OK);
}
