// Request rate limits per API client (bus.yaml clients.<name>.rate_limit, default
// auth.client_rate_limit): the token bucket on an injected clock, which limit applies to
// whom, the bucket kept across reloads, config errors, and the answers: 429 problem+json
// with Retry-After on the REST API, a SOAP fault with 429 on an inbound SOAP handler.
#include <doctest/doctest.h>

#include "core/engine/bus.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using namespace std::chrono_literals;

namespace {

void writeTenant(test::TempConfig& config) {
  config.write("conf/profiles/p.yaml",
               "routes:\n  - service: echo.ping\n    steps: [ { call: echo } ]\n");
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
               "endpoints: { echo: { type: memory } }\n");
}

}  // namespace

TEST_CASE("client rate limit: a token bucket per client, refilled by the clock") {
  test::TempConfig config;
  writeTenant(config);
  config.write(
      "conf/bus.yaml",
      "listen: 127.0.0.1:0\n"
      "clients:\n"
      "  a: { tenants: [bari], services: [\"*\"], rate_limit: { per_second: 2, burst: 3 } }\n"
      "  b: { tenants: [bari], services: [\"*\"] }\n");
  auto generation = config.load();
  REQUIRE_MESSAGE(generation != nullptr, config.errorText());
  const auto& credentials = *generation->credentials;
  CHECK_FALSE(credentials.limitOf("b").guard);         // declared without a limit: none
  CHECK_FALSE(credentials.limitOf("stranger").guard);  // undeclared, no default: none
  auto limit = credentials.limitOf("a");
  REQUIRE(limit.guard);
  CHECK(limit.settings.rate == 2);
  CHECK(limit.settings.burst == 3);

  const auto t0 = core::Clock::now();
  for (int i = 0; i < 3; ++i) CHECK(limit.guard->admit(limit.settings, t0).ok());  // the burst
  auto refused = limit.guard->admit(limit.settings, t0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().retry_after_s == 1);
  // Half a second at 2 per second is one more request, and only one.
  CHECK(limit.guard->admit(limit.settings, t0 + 500ms).ok());
  CHECK_FALSE(limit.guard->admit(limit.settings, t0 + 500ms).ok());
  // A long pause refills up to the burst, not beyond.
  const auto later = t0 + 60s;
  for (int i = 0; i < 3; ++i) CHECK(limit.guard->admit(limit.settings, later).ok());
  CHECK_FALSE(limit.guard->admit(limit.settings, later).ok());
}

TEST_CASE("client rate limit: auth.client_rate_limit for the others; buckets survive reloads") {
  test::TempConfig config;
  writeTenant(config);
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "auth: { client_rate_limit: { per_second: 5 } }\n"
               "clients:\n"
               "  a: { tenants: [bari], services: [\"*\"], rate_limit: { per_second: 1 } }\n"
               "  b: { tenants: [bari], services: [\"*\"] }\n");
  auto first = config.load();
  REQUIRE_MESSAGE(first != nullptr, config.errorText());
  auto a = first->credentials->limitOf("a");
  auto b = first->credentials->limitOf("b");
  auto stranger = first->credentials->limitOf("stranger");
  REQUIRE(a.guard);
  REQUIRE(b.guard);
  REQUIRE(stranger.guard);
  CHECK(a.settings.rate == 1);
  CHECK(a.settings.burst == 1);  // burst defaults to the rate
  CHECK(b.settings.rate == 5);   // the default
  CHECK(stranger.settings.rate == 5);
  CHECK(a.guard != b.guard);  // one bucket per client
  CHECK(b.guard != stranger.guard);

  // Spend a's bucket, then reload: the new generation counts on in the same bucket.
  const auto t0 = core::Clock::now();
  CHECK(a.guard->admit(a.settings, t0).ok());
  CHECK_FALSE(a.guard->admit(a.settings, t0).ok());
  auto second = config.load();
  REQUIRE_MESSAGE(second != nullptr, config.errorText());
  REQUIRE(second != first);
  auto reloaded = second->credentials->limitOf("a");
  CHECK(reloaded.guard == a.guard);
  CHECK_FALSE(reloaded.guard->admit(reloaded.settings, t0).ok());
  CHECK(second->credentials->limitOf("stranger").guard == stranger.guard);
}

TEST_CASE("client rate limit: config errors name the file, line and key") {
  test::TempConfig config;
  writeTenant(config);
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "clients:\n"
               "  a: { tenants: [bari], services: [\"*\"], rate_limit: { per_second: 0 } }\n"
               "  b: { tenants: [bari], services: [\"*\"], rate_limit: { per_second: 1, "
               "colour: red } }\n"
               "  c: { tenants: [bari], services: [\"*\"], rate_limit: { burst: 2 } }\n");
  CHECK_FALSE(config.load());
  auto text = config.errorText();
  CAPTURE(text);
  CHECK(text.find("conf/bus.yaml:3:") != std::string::npos);
  CHECK(text.find("clients.a.rate_limit.per_second: must be between 1 and 1000000") !=
        std::string::npos);
  CHECK(text.find("clients.b.rate_limit.colour: unknown key") != std::string::npos);
  CHECK(text.find("clients.c.rate_limit.per_second: missing key") != std::string::npos);

  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "auth: { client_rate_limit: { burst: 4 } }\n");
  CHECK_FALSE(config.load());
  text = config.errorText();
  CHECK(text.find("conf/bus.yaml:2:") != std::string::npos);
  CHECK(text.find("auth.client_rate_limit.per_second: missing key") != std::string::npos);
}

namespace {

struct TwoClients {
  test::TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;
  std::string key_a, key_b;

  TwoClients() {
    writeTenant(config);
    config.write(
        "conf/bus.yaml",
        "listen: 127.0.0.1:0\n"
        "inbound:\n"
        "  s: { type: soap, path: \"/soap/{tenant}/echo\",\n"
        "       operations: { \"{urn:echo}Ping\": echo.ping } }\n"
        "clients:\n"
        "  a: { tenants: [bari], services: [\"*\"], rate_limit: { per_second: 1, burst: 2 } }\n"
        "  b: { tenants: [bari], services: [\"*\"] }\n");
    key_a = config.apiKey("a", {"bari"});
    key_b = config.apiKey("b", {"bari"});
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }

  HttpResponse rest(const std::string& key) {
    HttpRequest request{http::verb::post, "/api/v1/bari/echo/ping", 11};
    request.set(http::field::content_type, "application/json");
    request.set(http::field::authorization, "Bearer " + key);
    request.body() = "{}";
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
  HttpResponse soap(const std::string& key) {
    HttpRequest request{http::verb::post, "/soap/bari/echo", 11};
    request.set(http::field::content_type, "text/xml; charset=utf-8");
    request.set(http::field::authorization, "Bearer " + key);
    request.body() =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
        "<e:Ping xmlns:e=\"urn:echo\"/></s:Body></s:Envelope>";
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
};

// Calls until refused (the bucket holds 2 and refills 1 per second, so that comes within a
// few calls however slow the machine); the refusal, or the last answer.
template <class Call>
HttpResponse untilRefused(Call call, int& accepted) {
  HttpResponse response;
  for (accepted = 0; accepted < 50; ++accepted) {
    response = call();
    if (response.result_int() != 200) break;
  }
  return response;
}

}  // namespace

TEST_CASE(
    "client rate limit: client a is refused with 429 while client b on the same tenant is not") {
  TwoClients bus;
  int accepted = 0;
  auto limited = untilRefused([&] { return bus.rest(bus.key_a); }, accepted);
  CHECK(accepted >= 2);  // the burst went through
  REQUIRE(limited.result_int() == 429);
  CHECK(limited[http::field::content_type] == "application/problem+json");
  CHECK(limited[http::field::retry_after] == "1");
  CHECK(limited.body().find("urn:egovbus:problem:rate-limited") != std::string::npos);
  CHECK(limited.body().find("client a: request rate limit reached") != std::string::npos);
  // b shares the tenant (which has no limit of its own) but not a's bucket.
  for (int i = 0; i < 10; ++i) CHECK(bus.rest(bus.key_b).result_int() == 200);
  const auto metrics = bus.bus->metrics().render();
  CHECK(metrics.find("egov_client_rate_limited_total{client=\"a\"}") != std::string::npos);
  CHECK(metrics.find("egov_client_rate_limited_total{client=\"b\"}") == std::string::npos);
}

TEST_CASE("client rate limit: an inbound SOAP handler answers a SOAP fault with 429") {
  TwoClients bus;
  int accepted = 0;
  auto limited = untilRefused([&] { return bus.soap(bus.key_a); }, accepted);
  CHECK(accepted >= 2);
  REQUIRE(limited.result_int() == 429);
  CHECK(limited[http::field::content_type] == "text/xml; charset=utf-8");
  CHECK(limited[http::field::retry_after] == "1");
  CHECK(limited.body().find("<faultcode>soap:Client</faultcode>") != std::string::npos);
  CHECK(limited.body().find("rate-limited: client a: request rate limit reached") !=
        std::string::npos);
  CHECK(bus.soap(bus.key_b).result_int() == 200);
}
