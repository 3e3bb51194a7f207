#include <doctest/doctest.h>

#include <future>
#include <mutex>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "adapters/http/curl_multi_loop.hpp"
#include "adapters/http/http_config.hpp"
#include "adapters/http/http_factory.hpp"
#include "adapters/soap/soap_config.hpp"
#include "core/engine/endpoint.hpp"
#include "core/json/json_xml.hpp"
#include "core/metrics/metrics.hpp"
#include "core/xml/xml.hpp"
#include "tests/support/adapter_runtime.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/test_http_server.hpp"

namespace {

namespace core = egov::core;
namespace net = egov::net;
namespace hx = egov::adapters::http;
using egov::awaitable;
using egov::test::runCoroutine;
using egov::test::TestHttpRequest;
using egov::test::TestHttpResponse;
using egov::test::TestHttpServer;
using namespace std::chrono_literals;

constexpr const char* kEmptyMap = "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"/>";

// What the bus gives adapters, one per test as the bus has one per process.
struct Runtime : egov::test::AdapterRuntime {
  std::shared_ptr<core::Endpoint> endpoint(const std::string& yaml) {
    return hx::makeHttpEndpoint(context(YAML::Load(yaml)));
  }
};

core::Exchange xmlExchange(std::string_view xml) {
  core::Exchange exchange;
  exchange.id = "5b0c7a1e-0000-4000-8000-000000000001";
  exchange.trace_id = "trace-42";
  auto body = core::parseXml(xml);
  REQUIRE(body.ok());
  exchange.body = std::move(body).value();
  return exchange;
}

core::Exchange jsonExchange(std::string_view json) {
  auto body = core::jsonToXml(json);
  REQUIRE(body.ok());
  return xmlExchange(core::serializeXml(**body));
}

// The request must outlive the call: endpoint coroutines start suspended.
core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, const core::Exchange& exchange,
                                       core::Clock::time_point deadline) {
  core::CallRequest request{exchange, *exchange.body, deadline};
  return runCoroutine(endpoint.call(request));
}

core::Result<core::XmlDocPtr> callOnce(core::Endpoint& endpoint, const core::Exchange& exchange) {
  return callOnce(endpoint, exchange, core::Clock::now() + 5s);
}

// The message of a failed result, for assertion messages (evaluated even on success with -s).
template <class T>
std::string failure(const core::Result<T>& result) {
  return result.ok() ? std::string() : result.error().message;
}

TestHttpResponse json(std::string body) {
  return {200, "application/json", std::move(body)};
}

std::string endpointYaml(const TestHttpServer& server, std::string_view target,
                         std::string_view extra = "") {
  return "type: http\nurl: " + server.url(target) + "\n" + std::string(extra);
}

}  // namespace

TEST_CASE("http sends the canonical body as JSON and reads a JSON reply back as canonical XML") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) {
    return TestHttpResponse{200, "application/json; charset=utf-8",
                            R"({"positions":[{"amount":"12.50"}],"ok":true})"};
  });
  auto endpoint =
      rt.endpoint(endpointYaml(server, "/api/tributi", "headers: { Authorization: Bearer abc }\n"));
  REQUIRE(endpoint);
  CHECK(endpoint->type() == "http");

  auto exchange = jsonExchange(R"({"cf":"RSSMRA80A01A662X","year":2024})");
  auto reply = callOnce(*endpoint, exchange);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));
  CHECK(core::serializeXml(**reply) ==
        "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"><array key=\"positions\"><map>"
        "<string key=\"amount\">12.50</string></map></array><boolean key=\"ok\">true</boolean>"
        "</map>");

  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const auto& sent = requests[0];
  CHECK(sent.method == "POST");
  CHECK(sent.target == "/api/tributi");
  CHECK(sent.body == R"({"cf":"RSSMRA80A01A662X","year":2024})");
  CHECK(sent.header("Content-Type") == "application/json");
  CHECK(sent.header("Accept") == "application/json");
  CHECK(sent.header("Authorization") == "Bearer abc");
  CHECK(sent.header("X-Egov-Exchange-Id") == exchange.id);
  CHECK(sent.header("X-Request-Id") == "trace-42");
  CHECK(sent.header("Expect").empty());
}

TEST_CASE("http format xml sends XML and reads +xml and text/xml replies") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest& request) {
    const bool soap = request.target == "/soap";
    return TestHttpResponse{200, soap ? "application/soap+xml" : "text/xml; charset=utf-8",
                            "<r:answer xmlns:r=\"urn:r\"><r:ok/></r:answer>"};
  });
  const std::string body = "<p:ask xmlns:p=\"urn:test\"><p:cf>X</p:cf></p:ask>";
  auto exchange = xmlExchange(body);
  for (const char* target : {"/soap", "/plain"}) {
    auto endpoint = rt.endpoint(endpointYaml(server, target, "format: xml\nmethod: PUT\n"));
    REQUIRE(endpoint);
    auto reply = callOnce(*endpoint, exchange);
    REQUIRE_MESSAGE(reply.ok(), failure(reply));
    CHECK(core::serializeXml(**reply) == "<r:answer xmlns:r=\"urn:r\"><r:ok/></r:answer>");
  }
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "PUT");
  CHECK(requests[0].body == body);
  CHECK(requests[0].header("Content-Type") == "application/xml");
  CHECK(requests[0].header("Accept") == "application/xml");
}

TEST_CASE("http request envelope sets method, path, escaped query and headers; GET has no body") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return json(R"({"found":1})"); });
  auto endpoint = rt.endpoint(endpointYaml(server, "/api/"));
  REQUIRE(endpoint);

  auto exchange = xmlExchange(
      "<request xmlns=\"urn:egovbus:http\" method=\"GET\" path=\"/positions/RSSMRA80A01A662X\">"
      "<header name=\"X-Year\">2024</header>"
      "<query name=\"year\">2024</query>"
      "<query name=\"q\">a b&amp;c/\xC3\xA9</query>"
      "</request>");
  auto reply = callOnce(*endpoint, exchange);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));

  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].target == "/api/positions/RSSMRA80A01A662X?year=2024&q=a%20b%26c%2F%C3%A9");
  CHECK(requests[0].body.empty());
  CHECK(requests[0].header("Content-Type").empty());
  CHECK(requests[0].header("X-Year") == "2024");
  CHECK(requests[0].header("X-Egov-Exchange-Id") == exchange.id);
}

TEST_CASE("http request envelope body is sent alone, in the endpoint's format") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return TestHttpResponse{204, "", ""}; });

  auto as_json = rt.endpoint(endpointYaml(server, ""));
  REQUIRE(as_json);
  auto json_exchange = xmlExchange(
      "<h:request xmlns:h=\"urn:egovbus:http\" method=\"PATCH\" path=\"/items/7\"><h:body>"
      "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"><string key=\"name\">x</string></map>"
      "</h:body></h:request>");
  auto reply = callOnce(*as_json, json_exchange);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));
  CHECK(core::serializeXml(**reply) == kEmptyMap);  // 204, no body

  auto as_xml = rt.endpoint(endpointYaml(server, "/base?key=1", "format: xml\n"));
  REQUIRE(as_xml);
  // The payload's prefix is declared on the envelope: it must travel with the payload.
  auto xml_exchange = xmlExchange(
      "<request xmlns=\"urn:egovbus:http\" xmlns:p=\"urn:p\" path=\"/items\">\n"
      "  <query name=\"v\">2</query>\n"
      "  <body><p:item p:id=\"1\"><p:name>x</p:name></p:item></body>\n"
      "</request>");
  reply = callOnce(*as_xml, xml_exchange);
  REQUIRE_MESSAGE(reply.ok(), failure(reply));

  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "PATCH");
  CHECK(requests[0].target == "/items/7");
  CHECK(requests[0].body == R"({"name":"x"})");
  CHECK(requests[0].header("Content-Type") == "application/json");
  CHECK(requests[1].method == "POST");
  CHECK(requests[1].target == "/base/items?key=1&v=2");
  CHECK(requests[1].body == "<p:item xmlns:p=\"urn:p\" p:id=\"1\"><p:name>x</p:name></p:item>");
}

TEST_CASE("http request envelope mistakes are mapping errors and send nothing") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return json("{}"); });
  auto endpoint = rt.endpoint(endpointYaml(server, ""));
  REQUIRE(endpoint);
  const char* bad[] = {
      R"(<request xmlns="urn:egovbus:http" path="positions"/>)",
      R"(<request xmlns="urn:egovbus:http" path="/a b"/>)",
      R"(<request xmlns="urn:egovbus:http" path="/a?b=1"/>)",
      R"(<request xmlns="urn:egovbus:http" method="FETCH"/>)",
      R"(<request xmlns="urn:egovbus:http"><header name="Bad Name">x</header></request>)",
      R"(<request xmlns="urn:egovbus:http"><header name="Content-Length">9</header></request>)",
      R"(<request xmlns="urn:egovbus:http"><query>x</query></request>)",
      R"(<request xmlns="urn:egovbus:http"><body><a/><b/></body></request>)",
      R"(<request xmlns="urn:egovbus:http"><body/></request>)",
      R"(<request xmlns="urn:egovbus:http"><colour/></request>)",
  };
  for (const char* xml : bad) {
    CAPTURE(xml);
    auto exchange = xmlExchange(xml);
    auto reply = callOnce(*endpoint, exchange);
    REQUIRE(!reply.ok());
    CHECK(reply.error().kind == core::ErrorKind::mapping_failed);
    CHECK(reply.error().message.rfind("t/x: request envelope: ", 0) == 0);
  }
  // A body that is not the json-to-xml representation cannot be sent as JSON.
  auto exchange = xmlExchange("<not-json/>");
  auto reply = callOnce(*endpoint, exchange);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::mapping_failed);
  CHECK(server.requestCount() == 0);
}

TEST_CASE("http error statuses are classified, carry the status and never quote the body") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest& request) {
    return TestHttpResponse{std::stoi(request.target.substr(1)), "application/json",
                            R"({"detail":"RSSMRA80A01A662X has no position"})"};
  });
  const std::pair<int, core::ErrorKind> cases[] = {
      {404, core::ErrorKind::backend_rejected},    {400, core::ErrorKind::backend_rejected},
      {503, core::ErrorKind::backend_unavailable}, {500, core::ErrorKind::backend_unavailable},
      {429, core::ErrorKind::backend_unavailable}, {408, core::ErrorKind::backend_unavailable},
      {302, core::ErrorKind::backend_invalid},
  };
  auto exchange = jsonExchange("{}");
  for (const auto& [status, kind] : cases) {
    CAPTURE(status);
    auto endpoint = rt.endpoint(endpointYaml(server, "/" + std::to_string(status)));
    REQUIRE(endpoint);
    auto reply = callOnce(*endpoint, exchange);
    REQUIRE(!reply.ok());
    CHECK(reply.error().kind == kind);
    CHECK(reply.error().backend_status == status);
    CHECK(reply.error().message.rfind("t/x: HTTP " + std::to_string(status), 0) == 0);
    CHECK(reply.error().message.find("RSSMRA") == std::string::npos);
  }
}

TEST_CASE("http replies it cannot read are backend_invalid") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest& request) {
    if (request.target == "/html") return TestHttpResponse{200, "text/html", "<p>hi</p>"};
    if (request.target == "/none") return TestHttpResponse{200, "", "hello"};
    if (request.target == "/badjson") return json(R"({"a":)");
    return TestHttpResponse{200, "application/xml", "<a><b></a>"};
  });
  const std::pair<const char*, const char*> cases[] = {
      {"/html", "t/x: unexpected content type text/html"},
      {"/none", "t/x: unexpected content type (none)"},
      {"/badjson", "t/x: invalid JSON reply: "},
      {"/badxml", "t/x: invalid XML reply: "},
  };
  auto exchange = jsonExchange("{}");
  for (const auto& [target, message] : cases) {
    CAPTURE(target);
    auto endpoint = rt.endpoint(endpointYaml(server, target));
    REQUIRE(endpoint);
    auto reply = callOnce(*endpoint, exchange);
    REQUIRE(!reply.ok());
    CHECK(reply.error().kind == core::ErrorKind::backend_invalid);
    CHECK(reply.error().message.rfind(message, 0) == 0);
  }
}

TEST_CASE("http stops reading a reply over max_response_bytes, with or without Content-Length") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest& request) {
    TestHttpResponse big = json("[\"" + std::string(4096, 'x') + "\"]");
    big.chunked = request.target == "/chunked";
    return big;
  });
  auto exchange = jsonExchange("{}");
  for (const char* target : {"/sized", "/chunked"}) {
    CAPTURE(target);
    auto endpoint = rt.endpoint(endpointYaml(server, target, "max_response_bytes: 1KiB\n"));
    REQUIRE(endpoint);
    auto reply = callOnce(*endpoint, exchange);
    REQUIRE(!reply.ok());
    CHECK(reply.error().kind == core::ErrorKind::backend_invalid);
    CHECK(reply.error().message == "t/x: response larger than 1024 bytes");
  }
  // Under the limit the same reply is fine.
  auto roomy = rt.endpoint(endpointYaml(server, "/chunked", "max_response_bytes: 8KiB\n"));
  REQUIRE(roomy);
  CHECK(callOnce(*roomy, exchange).ok());
}

TEST_CASE("http timeout: the endpoint's own is retryable, the route deadline's is not") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) {
    std::this_thread::sleep_for(700ms);
    return json("{}");
  });
  auto exchange = jsonExchange("{}");

  auto impatient = rt.endpoint(endpointYaml(server, "/", "timeout: 100ms\n"));
  REQUIRE(impatient);
  auto started = core::Clock::now();
  auto reply = callOnce(*impatient, exchange, core::Clock::now() + 5s);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(reply.error().message.rfind("t/x: timeout after ", 0) == 0);

  auto patient = rt.endpoint(endpointYaml(server, "/", "timeout: 10s\n"));
  REQUIRE(patient);
  started = core::Clock::now();
  reply = callOnce(*patient, exchange, core::Clock::now() + 100ms);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::deadline_exceeded);
}

TEST_CASE("http deadline already passed: deadline_exceeded and no request is sent") {
  Runtime rt;
  TestHttpServer server([](const TestHttpRequest&) { return json("{}"); });
  auto endpoint = rt.endpoint(endpointYaml(server, "/"));
  REQUIRE(endpoint);
  auto exchange = jsonExchange("{}");
  auto reply = callOnce(*endpoint, exchange, core::Clock::now() - 1ms);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::deadline_exceeded);
  CHECK(server.requestCount() == 0);
}

TEST_CASE("http connection refused and TLS failures are backend_unavailable with curl's reason") {
  Runtime rt;
  const unsigned short port = egov::test::closedLocalPort();
  auto endpoint = rt.endpoint("type: http\nurl: http://127.0.0.1:" + std::to_string(port) + "/x\n");
  REQUIRE(endpoint);
  auto exchange = jsonExchange("{}");
  auto reply = callOnce(*endpoint, exchange);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(reply.error().backend_status == 0);
  CHECK(reply.error().message.size() > std::string("t/x: ").size());

  // TLS spoken to a plain HTTP server fails in the handshake: also the back-end's fault.
  TestHttpServer plain([](const TestHttpRequest&) { return json("{}"); });
  auto tls =
      rt.endpoint("type: http\nurl: https://127.0.0.1:" + std::to_string(plain.port()) + "/x\n");
  REQUIRE(tls);
  reply = callOnce(*tls, exchange);
  REQUIRE(!reply.ok());
  CHECK(reply.error().kind == core::ErrorKind::backend_unavailable);
  CHECK(reply.error().message.size() > std::string("t/x: ").size());
}

TEST_CASE("http 50 concurrent calls on one io thread are all in flight at once") {
  // The back-end holds every request until a coroutine on the bus's own io thread opens
  // the gate, and that coroutine opens it only once all 50 requests are at the back-end.
  // So the test passes only if no call ever blocked the io thread and all 50 were in flight
  // together. If either failed, the back-end gives up after 20 s and answers 503.
  constexpr int kCalls = 50;
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  Runtime rt;
  TestHttpServer server(
      [opened](const TestHttpRequest& request) {
        if (opened.wait_for(20s) != std::future_status::ready) return TestHttpResponse{503, "", ""};
        return json(request.body);  // echo, so each caller can check it got its own answer
      },
      kCalls);
  auto endpoint = rt.endpoint(endpointYaml(server, "/echo"));
  REQUIRE(endpoint);

  net::io_context io;  // run by this thread only
  std::vector<std::optional<core::Result<core::XmlDocPtr>>> replies(kCalls);
  std::vector<std::string> expected(kCalls);
  int done = 0;
  for (int i = 0; i < kCalls; ++i) {
    net::co_spawn(
        io,
        [&, i]() -> awaitable<void> {
          core::Exchange exchange = jsonExchange("{\"i\":" + std::to_string(i) + "}");
          expected[i] = core::serializeXml(*exchange.body);
          core::CallRequest request{exchange, *exchange.body, core::Clock::now() + 60s};
          auto reply = co_await endpoint->call(request);
          replies[i].emplace(std::move(reply));
          ++done;
        },
        net::detached);
  }
  std::size_t in_flight_at_open = 0;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> {
        net::steady_timer timer(co_await net::this_coro::executor);
        while (server.requestCount() < kCalls) {
          timer.expires_after(5ms);
          co_await timer.async_wait(net::use_awaitable);
        }
        in_flight_at_open = server.requestCount();
        gate.set_value();
      },
      net::detached);
  io.run();

  CHECK(in_flight_at_open == kCalls);
  CHECK(done == kCalls);
  for (int i = 0; i < kCalls; ++i) {
    CAPTURE(i);
    REQUIRE(replies[i].has_value());
    REQUIRE_MESSAGE(replies[i]->ok(), failure(*replies[i]));
    CHECK(core::serializeXml(***replies[i]) == expected[i]);
  }
  CHECK(rt.metrics.render().find("egov_http_inflight 0") != std::string::npos);
}

// An echo handler that answers once `opened` is ready (503 if it is not within 20 s).
auto echoOnceOpen(std::shared_future<void> opened) {
  return [opened](const TestHttpRequest& request) {
    if (opened.wait_for(20s) != std::future_status::ready) return TestHttpResponse{503, "", ""};
    return json(request.body);
  };
}

// An echo back-end (8 connections at once) that holds each request until its round's gate
// opens.
struct RoundServer {
  void start(std::promise<void>& gate) {  // requests from now on wait for `gate`
    std::lock_guard lock(mutex);
    opened = gate.get_future().share();
  }

  std::mutex mutex;
  std::shared_future<void> opened;
  TestHttpServer server{[this](const TestHttpRequest& request) {
                          std::shared_future<void> gate;
                          {
                            std::lock_guard lock(mutex);
                            gate = opened;
                          }
                          if (gate.wait_for(20s) != std::future_status::ready) {
                            return TestHttpResponse{503, "", ""};
                          }
                          return json(request.body);
                        },
                        8};
};

// Opens `gate` from a coroutine on `io` once `server` has seen `count` requests: the calls
// of a round are all at the back-end, each on a connection of its own.
void openOnceSeen(net::io_context& io, TestHttpServer& server, std::size_t count,
                  std::promise<void>& gate) {
  net::co_spawn(
      io,
      [&server, count, &gate]() -> awaitable<void> {
        net::steady_timer timer(co_await net::this_coro::executor);
        while (server.requestCount() < count) {
          timer.expires_after(5ms);
          co_await timer.async_wait(net::use_awaitable);
        }
        gate.set_value();
      },
      net::detached);
}

TEST_CASE("http connections are reused: 8 concurrent calls, 1 call, 8 again open 8 connections") {
  // A round holds its requests at the back-end until all of them arrived, so 8 concurrent
  // calls need 8 connections at once. Later rounds must find them in curl's connection cache:
  // it once kept only 4 x the transfers in progress, so the single call closed half of them
  // and the next 8 opened new ones (under load, a new TCP connection every ~20 calls).
  Runtime rt;
  RoundServer rounds;
  TestHttpServer& server = rounds.server;
  auto endpoint = rt.endpoint(endpointYaml(server, "/echo"));
  REQUIRE(endpoint);

  for (const int calls : {8, 1, 8}) {
    CAPTURE(calls);
    std::promise<void> gate;
    rounds.start(gate);
    const std::size_t before = server.requestCount();
    net::io_context io;
    int ok = 0;
    for (int i = 0; i < calls; ++i) {
      net::co_spawn(
          io,
          [&]() -> awaitable<void> {
            core::Exchange exchange = jsonExchange("{\"i\":1}");
            core::CallRequest request{exchange, *exchange.body, core::Clock::now() + 60s};
            auto reply = co_await endpoint->call(request);
            if (reply) ++ok;
          },
          net::detached);
    }
    openOnceSeen(io, server, before + static_cast<std::size_t>(calls), gate);
    io.run();
    CHECK(ok == calls);
    CHECK(server.connectionCount() == 8);
  }
}

TEST_CASE("http loop destroyed mid-transfer completes the waiting coroutine with an error") {
  core::Metrics metrics;
  std::atomic<bool> release{false};
  TestHttpServer server([&](const TestHttpRequest&) {
    while (!release) std::this_thread::sleep_for(5ms);
    return json("{}");
  });
  auto loop = std::make_unique<hx::CurlMultiLoop>(metrics);
  hx::CurlMultiLoop* raw = loop.get();

  net::io_context io;
  std::optional<core::Result<hx::HttpReply>> result;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> {
        hx::HttpRequestSpec spec;
        spec.method = "GET";
        spec.url = server.url("/slow");
        auto reply = co_await raw->perform(std::move(spec));
        result.emplace(std::move(reply));
      },
      net::detached);
  std::thread runner([&] { io.run(); });

  const auto give_up = core::Clock::now() + 5s;
  while (server.requestCount() == 0 && core::Clock::now() < give_up) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(raw->inflight() == 1);
  loop.reset();  // joins the curl thread; the pending transfer is failed, not dropped
  runner.join();
  release = true;

  REQUIRE(result.has_value());
  REQUIRE(!result->ok());
  CHECK(result->error().kind == core::ErrorKind::unavailable);
}

// --- the loop on the caller's io_context (as in egovbus serve: no thread of its own) ---------

namespace {

hx::HttpRequestSpec echoSpec(const TestHttpServer& server, const std::string& body) {
  hx::HttpRequestSpec spec;
  spec.url = server.url("/echo");
  spec.headers = {"Content-Type: application/json"};
  spec.body = body;
  return spec;
}

// Runs io on `threads` threads (this one included) until it runs out of work.
void runOn(net::io_context& io, int threads) {
  std::vector<std::thread> others;
  for (int i = 1; i < threads; ++i) others.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : others) thread.join();
}

}  // namespace

TEST_CASE(
    "http loop on the caller's io_context: 50 transfers in flight, each completes on its caller's "
    "strand") {
  // As in serve: the loop runs on a strand of the io_context that two threads run, the
  // callers on strands of their own. All 50 must be at the back-end at once (nothing blocks
  // a thread), each must resume on its own strand with its own answer, and io.run() must
  // return once they are done: idle connections left in curl's cache keep no wait pending.
  constexpr int kCalls = 50;
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  TestHttpServer server(echoOnceOpen(opened), kCalls);
  core::Metrics metrics;
  net::io_context io(2);
  auto loop = std::make_unique<hx::CurlMultiLoop>(
      std::vector<net::any_io_executor>{io.get_executor()}, metrics);

  std::vector<std::optional<core::Result<hx::HttpReply>>> replies(kCalls);
  std::atomic<int> on_own_strand{0};
  for (int i = 0; i < kCalls; ++i) {
    auto strand = net::make_strand(io);
    net::co_spawn(
        strand,
        [&, i, strand]() -> awaitable<void> {
          auto reply =
              co_await loop->perform(echoSpec(server, "{\"i\":" + std::to_string(i) + "}"));
          if (strand.running_in_this_thread()) ++on_own_strand;
          replies[i].emplace(std::move(reply));
        },
        net::detached);
  }
  std::size_t at_back_end = 0;
  std::size_t inflight_at_open = 0;
  std::thread opener([&] {
    const auto give_up = core::Clock::now() + 20s;
    while (server.requestCount() < kCalls && core::Clock::now() < give_up) {
      std::this_thread::sleep_for(5ms);
    }
    at_back_end = server.requestCount();
    inflight_at_open = loop->inflight();
    gate.set_value();
  });
  runOn(io, 2);
  opener.join();

  CHECK(at_back_end == kCalls);
  CHECK(inflight_at_open == kCalls);
  CHECK(on_own_strand == kCalls);
  for (int i = 0; i < kCalls; ++i) {
    CAPTURE(i);
    REQUIRE(replies[i].has_value());
    REQUIRE_MESSAGE(replies[i]->ok(), failure(*replies[i]));
    CHECK((*replies[i])->status == 200);
    CHECK((*replies[i])->body == "{\"i\":" + std::to_string(i) + "}");
  }
  CHECK(loop->inflight() == 0);
  CHECK(metrics.render().find("egov_http_inflight 0") != std::string::npos);
  loop.reset();  // after io stopped running, as serve destroys it
}

TEST_CASE(
    "http loop on one io_context per I/O thread: a transfer runs on its caller's io_context, a "
    "worker's on the first") {
  // As in serve with two I/O threads: two io_contexts, one thread each. Callers on the second
  // are performed by the multi handle of the second (counted there while in flight) and
  // resume on its thread; a caller on a thread pool goes to the first.
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  TestHttpServer server(echoOnceOpen(opened), 8);
  core::Metrics metrics;
  net::io_context first(1), second(1);
  net::thread_pool pool(1);
  auto loop = std::make_unique<hx::CurlMultiLoop>(
      std::vector<net::any_io_executor>{first.get_executor(), second.get_executor()}, metrics);
  std::atomic<int> answered{0}, on_own_thread{0};
  auto call = [&](net::any_io_executor executor, std::thread::id* thread, int i) {
    net::co_spawn(
        net::make_strand(executor),
        [&, thread, i]() -> awaitable<void> {
          auto reply =
              co_await loop->perform(echoSpec(server, "{\"i\":" + std::to_string(i) + "}"));
          if (reply && reply->body == "{\"i\":" + std::to_string(i) + "}") ++answered;
          if (thread == nullptr || std::this_thread::get_id() == *thread) ++on_own_thread;
        },
        net::detached);
  };
  std::thread::id first_id, second_id;
  auto keep_first = net::make_work_guard(first);
  auto keep_second = net::make_work_guard(second);
  std::thread first_thread([&] { first.run(); });
  std::thread second_thread([&] { second.run(); });
  first_id = first_thread.get_id();
  second_id = second_thread.get_id();
  for (int i = 0; i < 2; ++i) call(first.get_executor(), &first_id, i);
  for (int i = 2; i < 7; ++i) call(second.get_executor(), &second_id, i);
  call(pool.get_executor(), nullptr, 7);
  const auto give_up = core::Clock::now() + 20s;
  while (server.requestCount() < 8 && core::Clock::now() < give_up)
    std::this_thread::sleep_for(5ms);
  const auto by_context = loop->inflightByContext();
  gate.set_value();
  while (answered.load() < 8 && core::Clock::now() < give_up) std::this_thread::sleep_for(5ms);
  CHECK(by_context == std::vector<std::size_t>{3, 5});
  CHECK(answered == 8);
  CHECK(on_own_thread == 8);
  CHECK(loop->inflight() == 0);
  CHECK(metrics.render().find("egov_http_inflight 0") != std::string::npos);
  keep_first.reset();
  keep_second.reset();
  first_thread.join();
  second_thread.join();
  pool.join();
  loop.reset();
}

TEST_CASE("http loop on the caller's io_context: a timeout fires with no socket activity") {
  // The back-end reads the request and never answers: nothing happens on the socket, so only
  // curl's timer (CURLMOPT_TIMERFUNCTION on an Asio timer) can end the transfer.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  TestHttpServer server([released](const TestHttpRequest&) {
    released.wait_for(20s);
    return json("{}");
  });
  core::Metrics metrics;
  net::io_context io;
  hx::CurlMultiLoop loop(std::vector<net::any_io_executor>{io.get_executor()}, metrics);
  std::optional<core::Result<hx::HttpReply>> result;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> {
        auto spec = echoSpec(server, "{}");
        spec.timeout = 300ms;
        auto reply = co_await loop.perform(std::move(spec));
        result.emplace(std::move(reply));
      },
      net::detached);
  io.run();  // returns only once the transfer completed and nothing is left waiting
  release.set_value();

  REQUIRE(result.has_value());
  REQUIRE(!result->ok());
  CHECK(result->error().kind == core::ErrorKind::deadline_exceeded);
  CHECK(result->error().message.rfind("timeout after ", 0) == 0);
  CHECK(server.requestCount() == 1);
  CHECK(loop.inflight() == 0);
}

// A loop on `io` with one transfer in flight to a back-end that answers only once released:
// what the two destruction tests below tear down.
struct HeldTransfer {
  HeldTransfer() {
    net::co_spawn(
        io,
        [this]() -> awaitable<void> {
          auto reply = co_await raw->perform(echoSpec(server, "{}"));
          result.emplace(std::move(reply));
        },
        net::detached);
  }

  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  TestHttpServer server{[held = released](const TestHttpRequest&) {
    held.wait_for(20s);
    return json("{}");
  }};
  core::Metrics metrics;
  net::io_context io;
  std::unique_ptr<hx::CurlMultiLoop> loop = std::make_unique<hx::CurlMultiLoop>(
      std::vector<net::any_io_executor>{io.get_executor()}, metrics);
  hx::CurlMultiLoop* raw = loop.get();
  std::optional<core::Result<hx::HttpReply>> result;
};

TEST_CASE("http loop on the caller's io_context destroyed mid-transfer while the io_context runs") {
  HeldTransfer held;
  auto guard = net::make_work_guard(held.io);  // keeps run() going until the check below
  std::thread runner([&] { held.io.run(); });
  const auto give_up = core::Clock::now() + 5s;
  while (held.server.requestCount() == 0 && core::Clock::now() < give_up) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(held.raw->inflight() == 1);
  held.loop.reset();  // on this thread, while the io thread may be in the loop's handlers
  guard.reset();
  runner.join();  // returns: the loop's cancelled waits ran and left nothing pending
  held.release.set_value();

  REQUIRE(held.result.has_value());
  REQUIRE(!held.result->ok());
  CHECK(held.result->error().kind == core::ErrorKind::unavailable);
}

TEST_CASE("http loop on the caller's io_context destroyed after io.stop(), as serve does") {
  // serve stops its io_context, then destroys the loop: the transfer still in flight is
  // failed, its handler waits in the stopped io_context and runs when it runs again.
  HeldTransfer held;
  const auto give_up = core::Clock::now() + 5s;
  while (held.server.requestCount() == 0 && core::Clock::now() < give_up) held.io.run_for(5ms);
  held.io.stop();
  held.loop.reset();
  CHECK(!held.result.has_value());
  held.io.restart();
  held.io.run();
  held.release.set_value();

  REQUIRE(held.result.has_value());
  REQUIRE(!held.result->ok());
  CHECK(held.result->error().kind == core::ErrorKind::unavailable);
}

TEST_CASE(
    "http loop on the caller's io_context reuses connections: 8 concurrent calls, 1, 8 again") {
  RoundServer rounds;
  TestHttpServer& server = rounds.server;
  core::Metrics metrics;
  net::io_context io;
  hx::CurlMultiLoop loop(std::vector<net::any_io_executor>{io.get_executor()}, metrics);
  for (const int calls : {8, 1, 8}) {
    CAPTURE(calls);
    std::promise<void> gate;
    rounds.start(gate);
    const std::size_t before = server.requestCount();
    int ok = 0;
    for (int i = 0; i < calls; ++i) {
      net::co_spawn(
          io,
          [&]() -> awaitable<void> {
            auto reply = co_await loop.perform(echoSpec(server, "{\"i\":1}"));
            if (reply && reply->status == 200) ++ok;
          },
          net::detached);
    }
    openOnceSeen(io, server, before + static_cast<std::size_t>(calls), gate);
    io.restart();
    io.run();  // returns between rounds: the cached connections keep no wait pending
    CHECK(ok == calls);
    CHECK(server.connectionCount() == 8);
  }
}

TEST_CASE("http config defaults") {
  Runtime rt;
  core::ConfigNode node(YAML::Load("type: http\nurl: https://example.org/api\n"),
                        std::make_shared<const std::string>("test.yaml"), "endpoints.x",
                        &rt.errors);
  auto config = hx::parseHttpConfig(node);
  REQUIRE(config.has_value());
  CHECK(rt.errors.empty());
  CHECK(config->method == "POST");
  CHECK(config->format == hx::HttpFormat::json);
  CHECK(config->timeout == 10s);
  CHECK(config->connect_timeout == 3s);
  CHECK(config->tls.verify);
  CHECK(config->max_response_bytes == 10u * 1024 * 1024);
  CHECK(config->headers.empty());
}

TEST_CASE("http config errors are reported with their line and the endpoint is not built") {
  Runtime rt;
  auto endpoint = rt.endpoint(
      "type: http\n"
      "method: FETCH\n"
      "timeout: 3 seconds\n"
      "colour: red\n"
      "format: yaml\n");
  CHECK(!endpoint);
  const std::string text = rt.errors.str();
  INFO(text);
  CHECK(text.find("test.yaml:1:1: endpoints.x.url: missing key") != std::string::npos);
  CHECK(text.find("test.yaml:2:9: endpoints.x.method: expected GET, POST, PUT, DELETE or PATCH") !=
        std::string::npos);
  CHECK(text.find("test.yaml:3:10: endpoints.x.timeout: expected a duration") != std::string::npos);
  CHECK(text.find("test.yaml:4:1: endpoints.x.colour: unknown key") != std::string::npos);
  CHECK(text.find("test.yaml:5:9: endpoints.x.format: expected json or xml") != std::string::npos);
  CHECK(rt.errors.size() == 5);
}

TEST_CASE("http config rejects bad urls, headers, tls and limits") {
  const std::pair<const char*, const char*> cases[] = {
      {"url: ftp://example.org/x\n", "endpoints.x.url: must start with http:// or https://"},
      {"url: http://exa mple.org/\n", "endpoints.x.url: invalid URL"},
      {"url: http://example.org/#top\n", "endpoints.x.url: must not have a #fragment"},
      {"url: http://example.org/\ntimeout: 0s\n", "endpoints.x.timeout: must be greater than 0"},
      {"url: http://example.org/\nheaders: { Content-Length: '3' }\n",
       "endpoints.x.headers.Content-Length: header Content-Length is set by the adapter"},
      {"url: http://example.org/\nheaders: { 'Bad Name': x }\n",
       "endpoints.x.headers.Bad Name: invalid header name"},
      {"url: http://example.org/\nheaders: [a, b]\n", "endpoints.x.headers: expected a map"},
      {"url: http://example.org/\ntls: { verify: maybe }\n",
       "endpoints.x.tls.verify: expected true or false"},
      {"url: http://example.org/\ntls: { pin: abc }\n", "endpoints.x.tls.pin: unknown key"},
      {"url: http://example.org/\ntls: { ca_file: /nonexistent/ca.pem }\n",
       "endpoints.x.tls.ca_file: cannot read file /nonexistent/ca.pem"},
      {"url: http://example.org/\nmax_response_bytes: 0\n",
       "endpoints.x.max_response_bytes: must be between 1 byte and 1GiB"},
      {"url: http://example.org/\nmax_response_bytes: lots\n",
       "endpoints.x.max_response_bytes: expected a size"},
  };
  for (const auto& [yaml, message] : cases) {
    CAPTURE(yaml);
    Runtime rt;
    CHECK(!rt.endpoint(std::string("type: http\n") + yaml));
    CHECK(rt.errors.str().find(message) != std::string::npos);
    CHECK(rt.errors.str().find("test.yaml:") == 0);
  }
}

TEST_CASE("http and soap resolve relative tls files against the config file, the same way") {
  // tests/data/soap/bus-cert.pem named as "bus-cert.pem" from a YAML file in that folder.
  const std::string folder = std::string(EGOV_SOURCE_DIR) + "/tests/data/soap";
  const std::string file = folder + "/tenant.yaml";
  for (const char* type : {"http", "soap"}) {
    CAPTURE(type);
    egov::test::AdapterRuntime rt;
    core::ConfigNode node(YAML::Load(std::string("type: ") + type +
                                     "\nurl: https://example.org/ws\n"
                                     "tls: { ca_file: bus-cert.pem, client_cert: bus-cert.pem, "
                                     "client_key: ./bus-key.pem }\n"),
                          std::make_shared<const std::string>(file), "endpoints.x", &rt.errors);
    hx::HttpTlsOptions tls;
    if (std::string(type) == "http") {
      auto config = hx::parseHttpConfig(node);
      REQUIRE_MESSAGE(config, rt.errors.str());
      tls = config->tls;
    } else {
      auto config = egov::adapters::soap::parseSoapConfig(node);
      REQUIRE_MESSAGE(config, rt.errors.str());
      tls = config->tls;
    }
    CHECK(tls.ca_file == folder + "/bus-cert.pem");
    CHECK(tls.client_cert == folder + "/bus-cert.pem");
    CHECK(tls.client_key == folder + "/bus-key.pem");
  }
  // A relative file that is not beside the config file is reported with the resolved path.
  egov::test::AdapterRuntime rt;
  core::ConfigNode node(
      YAML::Load("type: http\nurl: https://example.org/\ntls: { ca_file: missing.pem }\n"),
      std::make_shared<const std::string>(file), "endpoints.x", &rt.errors);
  CHECK(!hx::parseHttpConfig(node));
  CHECK(rt.errors.str().find("cannot read file " + folder + "/missing.pem") != std::string::npos);
}
