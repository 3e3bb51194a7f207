// Protective limits seen from the API: concurrency cap with a queue, saturation, circuit
// breaker, endpoint rate limit and tenant rate limit.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>

#include "adapters/memory/memory_endpoint.hpp"
#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"
#include "tests/support/test_http_server.hpp"

using namespace egov;
using namespace std::chrono_literals;

namespace {

struct LimitsFixture {
  test::TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::ApiHandler> api;
  std::string key;

  void start(const std::string& endpoints, const std::string& tenant_extra = {}) {
    config.write("conf/profiles/p.yaml", "routes:\n  - service: a.b\n    steps: [ { call: backend } ]\n");
    config.write("conf/tenants/bari.yaml", "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n" +
                                               tenant_extra + "endpoints:\n  backend: " + endpoints + "\n");
    config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
    key = config.apiKey();
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    api = std::make_unique<core::ApiHandler>(*bus);
  }
  HttpRequest request() {
    HttpRequest r{http::verb::post, "/api/v1/bari/a/b", 11};
    r.set(http::field::content_type, "application/json");
    r.set(http::field::authorization, "Bearer " + key);
    r.body() = "{}";
    r.prepare_payload();
    return r;
  }
  HttpResponse call() { return test::runCoroutine(api->handle(request())); }
  std::shared_ptr<adapters::memory::MemoryEndpoint> memory() {
    return std::dynamic_pointer_cast<adapters::memory::MemoryEndpoint>(
        bus->generation()->findTenant("bari")->endpoints.at("backend"));
  }
};

}  // namespace

TEST_CASE_FIXTURE(LimitsFixture, "limits: the back-end never sees more calls than max_concurrency") {
  std::mutex mutex;
  int current = 0, highest = 0;
  test::TestHttpServer server(
      [&](const test::TestHttpRequest&) {
        {
          std::lock_guard lock(mutex);
          highest = std::max(highest, ++current);
        }
        std::this_thread::sleep_for(2ms);  // keeps calls overlapping; no assertion on time
        std::lock_guard lock(mutex);
        --current;
        return test::TestHttpResponse{200, "application/json", "{\"ok\":true}"};
      },
      16);
  start("{ type: http, url: \"" + server.url("/") + "\", max_concurrency: 3, queue: 100 }");
  net::io_context io;
  std::vector<int> statuses;
  for (int i = 0; i < 40; ++i) {
    net::co_spawn(
        io,
        [&]() -> awaitable<void> {
          auto response = co_await api->handle(request());
          statuses.push_back(response.result_int());
        },
        net::detached);
  }
  io.run();
  CHECK(statuses.size() == 40);
  CHECK(std::count(statuses.begin(), statuses.end(), 200) == 40);
  CHECK(highest <= 3);
  CHECK(server.requestCount() == 40);
}

TEST_CASE_FIXTURE(LimitsFixture, "limits: a saturated endpoint answers 503 with Retry-After at once") {
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  test::TestHttpServer server([opened](const test::TestHttpRequest&) {
    opened.wait_for(20s);
    return test::TestHttpResponse{200, "application/json", "{}"};
  });
  start("{ type: http, url: \"" + server.url("/") + "\", max_concurrency: 1, queue: 0 }");
  net::io_context io;
  std::optional<HttpResponse> held, refused;
  net::co_spawn(io, [&]() -> awaitable<void> { held = co_await api->handle(request()); }, net::detached);
  net::co_spawn(
      io,
      [&]() -> awaitable<void> {
        net::steady_timer timer(co_await net::this_coro::executor);
        while (server.requestCount() == 0) {  // the first call holds the only slot
          timer.expires_after(2ms);
          co_await timer.async_wait(net::use_awaitable);
        }
        refused = co_await api->handle(request());
        gate.set_value();
      },
      net::detached);
  io.run();
  REQUIRE(refused);
  CHECK(refused->result_int() == 503);
  CHECK((*refused)[http::field::retry_after] == "1");
  CHECK(refused->body().find("saturated") != std::string::npos);
  CHECK(held->result_int() == 200);
  CHECK(server.requestCount() == 1);
}

TEST_CASE_FIXTURE(LimitsFixture, "limits: the breaker opens after consecutive failures and stops calling") {
  start("{ type: memory, error: backend_unavailable, status: 503, breaker: { failures: 2, open_for: 1h } }");
  CHECK(call().result_int() == 502);
  CHECK(call().result_int() == 502);
  auto open = call();
  CHECK(open.result_int() == 503);
  CHECK(open.body().find("circuit open") != std::string::npos);
  CHECK(std::stoi(std::string(open[http::field::retry_after])) > 3000);
  CHECK(memory()->received().size() == 2);  // the third call never reached the back-end
  CHECK(bus->metrics().render().find("egov_endpoint_breaker_open{endpoint=\"bari/backend\"} 1") != std::string::npos);
}

TEST_CASE_FIXTURE(LimitsFixture, "limits: endpoint rate limit and tenant rate limit") {
  start("{ type: memory, rate_limit: { per_second: 1, burst: 2 } }");
  CHECK(call().result_int() == 200);
  CHECK(call().result_int() == 200);
  auto limited = call();
  CHECK(limited.result_int() == 503);
  CHECK(limited.find(http::field::retry_after) != limited.end());
  CHECK(memory()->received().size() == 2);

  LimitsFixture tenant;
  tenant.start("{ type: memory }", "rate_limit: { per_second: 1, burst: 1 }\n");
  CHECK(tenant.call().result_int() == 200);
  auto too_many = tenant.call();
  CHECK(too_many.result_int() == 429);
  CHECK(too_many[http::field::retry_after] == "1");
  CHECK(too_many.body().find("urn:egovbus:problem:rate-limited") != std::string::npos);
}

TEST_CASE("limits: config errors") {
  test::TempConfig config;
  config.write("conf/profiles/p.yaml", "routes:\n  - service: a.b\n    steps: [ { call: backend } ]\n");
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
               "rate_limit: { burst: 3 }\n"
               "endpoints:\n  backend: { type: memory, queue: 5, breaker: { failures: 0, colour: red } }\n");
  CHECK(config.load() == nullptr);
  const auto text = config.errorText();
  CHECK(text.find("conf/tenants/bari.yaml:3:13: rate_limit.per_second: missing key") != std::string::npos);
  CHECK(text.find("endpoints.backend.queue: a queue needs max_concurrency") != std::string::npos);
  CHECK(text.find("endpoints.backend.breaker.colour: unknown key") != std::string::npos);
  CHECK(text.find("endpoints.backend.breaker.failures: must be between 1 and 10000") != std::string::npos);
}
