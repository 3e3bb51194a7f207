// Hostile input against the running listener (real sockets, raw bytes): XML attacks (XXE to a
// file and to the network, billion laughs, quadratic blow-up, external DTD, deep nesting),
// JSON depth and size, header count and size, and a slow-loris connection. Each is refused
// with a clear error, reads no file, makes no outbound request and keeps memory bounded.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "core/net/http_server.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/served_bus.hpp"
#include "tests/support/temp_config.hpp"
#include "tests/support/test_http_server.hpp"

using namespace egov;

namespace {

struct HostileBus {
  test::TempConfig config;
  std::unique_ptr<test::ServedBus> served;
  std::string key;  // the API key post() sends

  HostileBus() {
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "limits: { max_body: 256KiB, max_header: 4KiB, max_headers: 50, json_depth: 32,\n"
                 "          xml_depth: 64, read_timeout: 1s, idle_timeout: 2s }\n");
    config.write("conf/profiles/echo.yaml",
                 "routes:\n  - service: echo.ping\n    steps: [ { call: echo } ]\n");
    config.write("conf/tenants/bari.yaml",
                 "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: echo\n"
                 "endpoints: { echo: { type: memory } }\n");
    key = config.apiKey();
    served = std::make_unique<test::ServedBus>(config);
  }

  int connect() const { return test::connectLoopback(served->port()); }

  std::string exchange(const std::string& raw) const {
    return test::rawExchange(served->port(), raw);
  }

  std::string post(const std::string& content_type, const std::string& body,
                   const std::string& extra_headers = {}) const {
    return exchange(
        "POST /api/v1/bari/echo/ping HTTP/1.1\r\nHost: bus\r\nConnection: close\r\n"
        "Authorization: Bearer " +
        key + "\r\nContent-Type: " + content_type + "\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body);
  }
};

using test::isProblem;
using test::statusOf;

long maxRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

TEST_CASE("hostile: XML attacks are refused before any entity, file or network is touched") {
  HostileBus running;
  // A listener that would see any fetch of an external entity or DTD.
  test::TestHttpServer trap([](const test::TestHttpRequest&) {
    return test::TestHttpResponse{200, "application/xml-dtd", "<!ENTITY x \"pwned\">"};
  });
  const long rss_before = maxRssKb();

  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  laughs += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">";
  for (int i = 2; i <= 9; ++i) {
    std::string prev = "&lol" + std::to_string(i - 1) + ";";
    std::string value;
    for (int j = 0; j < 10; ++j) value += prev;
    laughs += "<!ENTITY lol" + std::to_string(i) + " \"" + value + "\">";
  }
  laughs += "]><lolz>&lol9;</lolz>";
  const std::string big(50'000, 'A');
  std::string quadratic = "<?xml version=\"1.0\"?><!DOCTYPE q [<!ENTITY a \"" + big + "\">]><q>";
  for (int i = 0; i < 2000; ++i) quadratic += "&a;";
  quadratic += "</q>";

  const std::vector<std::pair<std::string, std::string>> attacks = {
      {"xxe-file",
       "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>"},
      {"xxe-network", "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"" +
                          trap.url("/entity") + "\">]><r>&x;</r>"},
      {"xxe-parameter-entity", "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY % p SYSTEM \"" +
                                   trap.url("/param") + "\"> %p;]><r/>"},
      {"billion-laughs", laughs},
      {"quadratic-blowup", quadratic.substr(0, 200'000)},
      {"external-dtd",
       "<?xml version=\"1.0\"?><!DOCTYPE r SYSTEM \"" + trap.url("/evil.dtd") + "\"><r/>"},
  };
  for (const auto& [name, body] : attacks) {
    CAPTURE(name);
    auto response = running.post("application/xml", body);
    CHECK(statusOf(response) == 400);
    CHECK(isProblem(response));
    CHECK(response.find("root:") == std::string::npos);  // no /etc/passwd content
    CHECK(response.find("pwned") == std::string::npos);
    CHECK(response.find("lollol") == std::string::npos);
  }
  // XInclude is never processed: the element comes back as it was sent, nothing is read.
  auto xinclude = running.post(
      "application/xml",
      "<r xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"" + trap.url("/inc") +
          "\" parse=\"text\"/><xi:include "
          "href=\"file:///etc/passwd\" parse=\"text\"/></r>",
      "Accept: application/xml\r\n");
  CHECK(statusOf(xinclude) == 200);
  CHECK(xinclude.find("xi:include") != std::string::npos);
  CHECK(xinclude.find("root:") == std::string::npos);

  std::string deep;
  for (int i = 0; i < 20'000; ++i) deep += "<a>";
  for (int i = 0; i < 20'000; ++i) deep += "</a>";
  auto nested = running.post("application/xml", deep);
  CHECK(statusOf(nested) == 400);
  CHECK(nested.find("nesting too deep") != std::string::npos);

  CHECK(trap.requestCount() == 0);  // nothing was fetched
  // Nothing above was expanded: a billion laughs would need gigabytes.
  CHECK(maxRssKb() - rss_before < 64 * 1024);
}

TEST_CASE("hostile: JSON depth and size, header count and size are limited") {
  HostileBus running;
  // 200 KB of brackets fits the body limit; the depth limit refuses it.
  auto deep =
      running.post("application/json", std::string(100'000, '[') + std::string(100'000, ']'));
  CHECK(statusOf(deep) == 400);
  CHECK(isProblem(deep));
  CHECK(deep.find("deeper than") != std::string::npos);

  auto huge = running.post("application/json", "\"" + std::string(300'000, 'x') + "\"");
  CHECK(statusOf(huge) == 413);
  CHECK(isProblem(huge));

  std::string many;
  for (int i = 0; i < 60; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  auto too_many = running.post("application/json", "{}", many);
  CHECK(statusOf(too_many) == 431);
  CHECK(isProblem(too_many));
  CHECK(too_many.find("header fields") != std::string::npos);

  auto too_big =
      running.post("application/json", "{}", "X-Big: " + std::string(5000, 'b') + "\r\n");
  CHECK(statusOf(too_big) == 431);

  std::string fine;
  for (int i = 0; i < 40; ++i) fine += "X-H" + std::to_string(i) + ": v\r\n";
  CHECK(statusOf(running.post("application/json", "{\"ok\":true}", fine)) == 200);

  CHECK(statusOf(running.exchange("GARBAGE\r\n\r\n")) == 400);
  CHECK(statusOf(running.exchange("GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n")) == 400);
}

TEST_CASE("hostile: a slow-loris connection is closed by the read timeout") {
  HostileBus running;
  // Headers that never finish: the server closes the connection (read_timeout 1 s); the
  // client's 30 s receive timeout only keeps a broken server from hanging the test.
  int fd = running.connect();
  const std::string start = "GET /healthz HTTP/1.1\r\nHost: bus\r\nX-Slow: ";
  REQUIRE(::send(fd, start.data(), start.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(start.size()));
  char chunk[512];
  ssize_t n = 0;
  std::string got;
  while ((n = ::recv(fd, chunk, sizeof chunk, 0)) > 0)
    got.append(chunk, static_cast<std::size_t>(n));
  CHECK(n == 0);  // closed by the server, not by our receive timeout (which gives -1)
  CHECK(got.find("200 OK") == std::string::npos);
  ::close(fd);

  // An idle kept-alive connection is closed too, and the server still serves others.
  int idle = running.connect();
  while ((n = ::recv(idle, chunk, sizeof chunk, 0)) > 0) {
  }
  CHECK(n == 0);
  ::close(idle);
  CHECK(statusOf(running.exchange("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")) == 200);
}
