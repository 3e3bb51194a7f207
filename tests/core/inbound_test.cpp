// Inbound handlers: declared in bus.yaml under `inbound:`, served at their path by the same
// listener as the unified API, with `{tenant}` resolved to a tenant; submitExchange runs a
// route for them.
#include <doctest/doctest.h>

#include "core/engine/bus.hpp"
#include "core/engine/dispatch.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using egov::test::TempConfig;

namespace {

// Answers "<inbound name> <tenant slug or ?> <tenant key> <query> <greeting>", and runs the
// tenant's echo.ping route when the query is "route".
class EchoInbound final : public core::InboundHandler {
 public:
  EchoInbound(std::string name, std::string greeting)
      : InboundHandler(std::move(name), "echo"), greeting_(std::move(greeting)) {}

  awaitable<HttpResponse> handle(core::InboundRequest request) override {
    HttpResponse response{http::status::ok, request.http.version()};
    std::string text = name() + " " + (request.tenant ? request.tenant->slug : "?") + " " +
                       request.tenant_key + " " + std::string(request.query) + " " + greeting_;
    if (request.query == "route" && request.tenant) {
      core::Exchange exchange;
      exchange.id = "x-1";
      exchange.service = "echo.ping";
      exchange.body = core::parseXml("<hello>there</hello>").value();
      exchange.deadline = core::Clock::now() + std::chrono::seconds(5);
      const auto* route = core::Generation::findRoute(*request.tenant, "echo.ping");
      core::Submission submission;
      auto submitted = co_await core::submitExchange(request.bus, request.generation,
                                                     *request.tenant, *route, exchange, submission);
      text = submitted ? core::serializeXml(*exchange.body) : submitted.error().message;
    }
    response.body() = text;
    response.prepare_payload();
    co_return response;
  }

 private:
  std::string greeting_;
};

void registerEcho(TempConfig& config) {
  config.registry().addInbound(
      "echo", [](const core::InboundContext& context) -> std::shared_ptr<core::InboundHandler> {
        const auto& settings = context.settings;
        settings.allowKeys({"greeting"});
        if (context.generation.tenants.empty()) settings.error("needs tenants");
        return std::make_shared<EchoInbound>(context.name,
                                             settings.optionalString("greeting", "hi"));
      });
}

void writeTenants(TempConfig& config) {
  config.write("conf/profiles/echo.yaml",
               "routes:\n  - service: echo.ping\n    steps: [ { call: echo } ]\n");
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: echo\n"
               "endpoints: { echo: { type: memory } }\n");
}

std::string g_key;  // the API key get() sends

HttpResponse get(core::ApiHandler& api, const std::string& target) {
  HttpRequest request{http::verb::post, target, 11};
  if (!g_key.empty()) request.set(http::field::authorization, "Bearer " + g_key);
  request.prepare_payload();
  return test::runCoroutine(api.handle(std::move(request)));
}

}  // namespace

TEST_CASE("inbound: handlers are served at their paths, {tenant} resolves a tenant") {
  TempConfig config;
  registerEcho(config);
  writeTenants(config);
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "inbound:\n"
               "  plain: { type: echo, path: /soap/plain, greeting: ciao }\n"
               "  per-tenant: { type: echo, path: \"/soap/{tenant}/tributi\" }\n"
               "  open: { type: echo, path: \"/open/{tenant}\", auth: none }\n");
  g_key = config.apiKey();
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  core::ApiHandler api(bus);

  CHECK(get(api, "/soap/plain?wsdl").body() == "plain ?  wsdl ciao");
  CHECK(get(api, "/soap/bari/tributi").body() == "per-tenant bari bari  hi");
  CHECK(get(api, "/soap/072006/tributi").body() == "per-tenant bari 072006  hi");
  // With auth: none an unknown tenant still reaches the handler, which answers in its own
  // protocol; with authentication it is refused like a tenant out of scope (403).
  CHECK(get(api, "/open/nowhere").body() == "open ? nowhere  hi");
  CHECK(get(api, "/soap/nowhere/tributi").result_int() == 403);
  CHECK(get(api, "/soap/bari/tributi?route").body() == "<hello>there</hello>");
  // Paths that do not match exactly are the unified API's 404s.
  for (const char* path : {"/soap/plain/x", "/soap", "/soap/bari/tributi/x", "/soap//tributi"}) {
    CAPTURE(path);
    auto response = get(api, path);
    CHECK(response.result_int() == 404);
    CHECK(response[http::field::content_type] == "application/problem+json");
  }
  CHECK(get(api, "/healthz").body() == "ok\n");
}

TEST_CASE("inbound: config errors name the file, line and key") {
  TempConfig config;
  registerEcho(config);
  writeTenants(config);
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "inbound:\n"
               "  a: { type: echo, path: /soap/x, colour: red }\n"
               "  b: { type: echo, path: /soap/x }\n"
               "  c: { type: nope, path: /c }\n"
               "  d: { type: echo, path: /api/v1/soap }\n"
               "  e: { type: echo, path: \"/{tenant}/{tenant}\" }\n"
               "  f: { type: echo, path: \"/a b/c\" }\n"
               "  g: { type: echo, path: relative }\n"
               "  h: { path: /h }\n"
               "  i: { type: echo }\n");
  CHECK_FALSE(config.load());
  const auto text = config.errorText();
  CAPTURE(text);
  CHECK(text.find("conf/bus.yaml:3:") != std::string::npos);
  CHECK(text.find("inbound.a.colour: unknown key") != std::string::npos);
  CHECK(text.find("conf/bus.yaml:4:") != std::string::npos);
  CHECK(text.find("inbound.b.path: /soap/x is already served by inbound.a") != std::string::npos);
  // The built-in inbound types are listed too.
  CHECK(text.find("inbound.c.type: unknown inbound type nope (known: echo") != std::string::npos);
  CHECK(text.find("inbound.d.path: /api/v1/soap belongs to the unified API") != std::string::npos);
  CHECK(text.find("inbound.e.path: at most one {tenant} segment") != std::string::npos);
  CHECK(text.find("inbound.f.path: segment \"a b\"") != std::string::npos);
  CHECK(text.find("inbound.g.path: expected an absolute path") != std::string::npos);
  CHECK(text.find("inbound.h.type: missing key") != std::string::npos);
  CHECK(text.find("inbound.i.path: missing key") != std::string::npos);
}
